//! Form pieces: the error summary, per-field messages, labelled fields and the post form.

use leptos::prelude::*;

use crate::AppError;
use crate::domain::account::Tier;
use crate::domain::form::FromForm;

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

/// A labelled `<select>` with its message from the last submission; `children` are its
/// options. As with [`TextField`], `id` and `name` are both `field`.
#[component]
pub fn SelectField(
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    children: Children,
) -> impl IntoView {
    let error_id = format!("{field}-error");
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <select id=field name=field aria-invalid=field_invalid(error, field) aria-describedby=error_id.clone()>
                {children()}
            </select>
            <FieldError error field id=error_id />
        </div>
    }
}

/// A choice of the lowest tier something is for: `none` (no tier needed) first, then each tier
/// above the lowest, worded by `describe` ("Silver and above", "Gold only", …).
#[component]
pub fn TierSelect(
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    none: &'static str,
    describe: fn(Tier) -> &'static str,
    #[prop(default = None)] selected: Option<Tier>,
) -> impl IntoView {
    view! {
        <SelectField error field label>
            <option value="" selected=selected.is_none()>{none}</option>
            {Tier::ALL[1..].iter().map(|&tier| view! {
                <option value=tier.code() selected=selected == Some(tier)>{describe(tier)}</option>
            }).collect_view()}
        </SelectField>
    }
}

/// A form that posts to a server function. Before the WebAssembly has loaded (or without it)
/// the browser posts the form and the server redirects back, with any error in the URL for
/// the page to show. Once it has, a press dispatches `action` in place, as Leptos' `ActionForm`
/// would; the difference is how the arguments are read ([`FromForm`]). On the five drop-time
/// forms (sign in and out, remind, redeem, cancel) `ActionForm`'s form parser was a large part
/// of the bundle every page loads (README, Performance: front end weight). The staff, account and sign-up pages load as chunks of their own
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
