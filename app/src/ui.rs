//! Small pieces shared by forms: the error summary and per-field messages.

use leptos::prelude::*;

use crate::AppError;

/// Server-side helpers for the pages.
#[cfg(feature = "ssr")]
pub mod server {
    /// A value that differs on every call, put in the URL a change redirects to: the page's
    /// data is keyed on the URL, so it reloads after each change, even an identical one.
    pub fn fresh() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// The error of the last submission of a form, if any.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// A message at the top of a form for an error that is not about one field.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { .. }))
            .map(|e| {
                view! {
                    <p class="form-error" role="alert">
                        {e.to_string()}
                    </p>
                }
            })
    }
}

/// The message for one field, linked to its input by `id` (use it in `aria-describedby`).
#[component]
pub fn FieldError(
    error: Signal<Option<AppError>>,
    field: &'static str,
    #[prop(into)] id: String,
) -> impl IntoView {
    move || match error.get() {
        Some(AppError::Invalid { field: f, message }) if f == field => Some(view! {
            <p class="field-error" id=id.clone() role="alert">
                {message}
            </p>
        }),
        _ => None,
    }
}

/// Whether the last submission failed on `field`, for `aria-invalid`.
pub fn field_invalid(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
    move || match error.get() {
        Some(AppError::Invalid { field: f, .. }) if f == field => Some("true"),
        _ => None,
    }
}

/// Shown instead of a staff page to someone who may not see it.
#[component]
pub fn Refused(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => {
            crate::page_status::set_page_status(401);
            view! {
                <div class="notice">
                    <h1>"Staff sign-in"</h1>
                    <p><a class="button" href="/sign-in?next=/staff">"Sign in"</a></p>
                </div>
            }
            .into_any()
        }
        error => view! { <crate::shell::ErrorNotice error /> }.into_any(),
    }
}

/// A labelled input with its hint and its message from the last submission. The input's `id` and
/// `name` are both `field`, so one page must not hold two forms with the same field.
#[component]
pub fn TextField(
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] min: Option<String>,
) -> impl IntoView {
    let error_id = format!("{field}-error");
    let hint_id = format!("{field}-hint");
    let described = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <input id=field name=field type=kind value=value required=required inputmode=inputmode min=min
                aria-invalid=field_invalid(error, field) aria-describedby=described />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <FieldError error field id=error_id />
        </div>
    }
}

/// A server function's arguments, read in the browser from the fields of the form that was
/// submitted. The server reads the posted body itself (with `serde_qs`, as Leptos' `ActionForm`
/// does in the browser too); reading the few fields by hand keeps that parser and its
/// `BTreeMap` out of the bundle members download at drop time.
pub trait FromForm: Sized {
    /// `None` when a field is missing or malformed: the form then posts the ordinary way and
    /// the server answers with its own message.
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self>;
}

/// A form that posts to a server function. Before the WebAssembly has loaded (or without it)
/// the browser posts the form and the server redirects back, with any error in the URL for
/// the page to show. Once it has, a press dispatches `action` in place, as Leptos' `ActionForm`
/// would; the difference is how the arguments are read ([`FromForm`]). On the five drop-time
/// forms (sign in and out, remind, redeem, cancel) `ActionForm` cost 21 KiB of brotli in the
/// bundle every page loads. The staff, account and sign-up pages load as chunks of their own
/// and keep `ActionForm`.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView
where
    S: FromForm + server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{FormData, HtmlFormElement};
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        // The fields only: a pressed button's own name and value are not among them, so an
        // argument carried by a button reads as missing and the form posts the ordinary way.
        let Ok(data) = FormData::new_with_form(&form) else {
            return;
        };
        if let Some(input) = S::from_form(&|name| data.get(name).as_string()) {
            ev.prevent_default();
            action.dispatch(input);
        }
    };
    view! {
        <form method="post" action=S::url() class=class on:submit=on_submit>
            {children()}
        </form>
    }
}

#[cfg(test)]
pub mod tests {
    use super::FromForm;
    use serde::{Serialize, de::DeserializeOwned};

    /// Reads `body` as the server does (`serde_qs`) and as the browser does ([`FromForm`]),
    /// and checks both see the same arguments.
    pub fn reads_like_the_server<T: FromForm + DeserializeOwned + Serialize>(body: &str) {
        let server: T = serde_qs::from_str(body).unwrap();
        let pairs: Vec<(&str, &str)> = body.split('&').filter_map(|p| p.split_once('=')).collect();
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let browser =
            T::from_form(&field).unwrap_or_else(|| panic!("the browser could not read {body}"));
        assert_eq!(
            serde_json::to_value(&browser).unwrap(),
            serde_json::to_value(&server).unwrap(),
            "{body}"
        );
    }
}
