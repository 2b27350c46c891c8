use axum::http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn set_page_status(status: u16) {
    if let (Some(options), Ok(status)) = (
        use_context::<ResponseOptions>(),
        StatusCode::from_u16(status),
    ) {
        options.set_status(status);
    }
}

/// The status an error maps to, and for errors that pass (busy, database unreachable) how
/// soon to try again, so a script or proxy reading the page's headers knows as a person does.
pub fn set_error_status(error: &crate::AppError) {
    set_page_status(error.status());
    if let (Some(options), Some(secs)) = (use_context::<ResponseOptions>(), error.retry_after_secs())
    {
        options.insert_header(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(secs),
        );
    }
}
