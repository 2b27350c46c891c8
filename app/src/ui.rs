//! Small pieces shared by forms: the error summary and per-field messages.

use leptos::prelude::*;

use crate::AppError;

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
    id: &'static str,
) -> impl IntoView {
    move || match error.get() {
        Some(AppError::Invalid { field: f, message }) if f == field => Some(view! {
            <p class="field-error" id=id role="alert">
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
