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
    if let (Some(options), Some(secs)) =
        (use_context::<ResponseOptions>(), error.retry_after_secs())
    {
        options.insert_header(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(secs),
        );
    }
}

/// The page's Content-Security-Policy, with this response's nonce: only scripts the server
/// marked with it run (the inline script that starts the bundle, Leptos' own resource scripts),
/// and what they load (`'strict-dynamic'`: the bundle and its WebAssembly). Nothing may frame
/// the page (a drop's Redeem button under someone else's overlay), and forms post only here.
pub fn set_security_policy() {
    let (Some(options), Some(nonce)) =
        (use_context::<ResponseOptions>(), leptos::nonce::use_nonce())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        options.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}
