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

/// Says where the server's time went on this response (`Server-Timing`, which browsers'
/// developer tools and the benchmark read).
pub fn set_server_timing(value: &str) {
    if let (Some(options), Ok(value)) = (
        use_context::<ResponseOptions>(),
        axum::http::HeaderValue::from_str(value),
    ) {
        options.insert_header(axum::http::HeaderName::from_static("server-timing"), value);
    }
}

/// The nonce the server drew for this response (the header middleware puts it in the request's
/// extensions and names it in the page's Content-Security-Policy).
#[derive(Clone, Debug)]
pub struct PageNonce(pub String);

/// Hands this response's nonce to Leptos, which writes it on every script the page carries
/// (the one starting the bundle, the hydration scripts, resource and streaming chunks).
pub fn provide_page_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// A page's Content-Security-Policy. Only scripts carrying this response's nonce run, and what
/// they load (`'strict-dynamic'`: the bundle, its chunks and its WebAssembly), so markup slipped
/// into a page cannot run script. Nothing may frame the page (a drop's Redeem button under
/// someone else's overlay), forms post only here, no plugins, no `<base>`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
         object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}
