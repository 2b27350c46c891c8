//! What lets members add the portal to their home screen and open their card there in one tap:
//! the web app manifest (in the reader's language) and the service worker that keeps the card
//! page for a till with no signal (`public/sw.js`).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use app::account::card::CARD_PATH;
use app::domain::i18n::tr;

/// The service worker's script. Served here rather than as a site file because a worker's
/// script carries its own Content-Security-Policy: the deny-all one every non-page answer gets
/// would stop the worker's own requests.
pub async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            // Browsers look for a new worker at least daily anyway; no-cache makes a deploy's
            // worker take over at the next visit.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'self'"),
            ),
        ],
        include_str!("../../public/sw.js"),
    )
        .into_response()
}

/// `/manifest.webmanifest`: the portal as an app on the home screen. It opens on the member's
/// card; a long press offers the bazaar too.
pub async fn manifest() -> Response {
    let tr = tr();
    let body = serde_json::json!({
        "name": tr.t("shell.brand"),
        "short_name": tr.t("shell.brand"),
        "description": tr.t("shell.description"),
        "lang": tr.lang().code(),
        "start_url": CARD_PATH,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#5b2a86",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable" },
            { "src": "/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }
        ],
        "shortcuts": [
            { "name": tr.t("account.card.title"), "url": CARD_PATH },
            { "name": tr.t("shell.bazaar"), "url": "/" }
        ]
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/manifest+json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::VARY,
                HeaderValue::from_static("accept-language, cookie"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}
