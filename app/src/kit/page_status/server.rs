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

/// The page's Content-Security-Policy. Scripts only from this site and the page itself (the
/// script starting the bundle, the WebAssembly), nothing may frame the page (a drop's Redeem
/// button under someone else's overlay), forms post only here, no plugins, no `<base>`.
///
/// Not a nonce policy yet: Leptos 0.8's out-of-order streaming (tachys' `Suspend`) writes its
/// chunk-swapping inline scripts without the response's nonce, so a nonce policy blocks them
/// and a page whose data arrives after its first chunk never shows it (seen in the browser
/// tests). Until it does, inline scripts are allowed.
pub fn set_security_policy() {
    let Some(options) = use_context::<ResponseOptions>() else {
        return;
    };
    options.insert_header(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(PAGE_POLICY),
    );
}

/// The policy every page carries (the server's header middleware also sets it on every HTML
/// response, whether or not the page's own headers made it out).
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
