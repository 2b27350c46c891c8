//! Which language each request is answered in, and the header's language switch.
//!
//! The reader's choice (the `bazaar_lang` cookie the switch sets) wins; else the first language
//! we speak that the browser asks for (`Accept-Language`); else the store's default. The
//! region of a Spanish reader's browser picks the formats (Spain's "12.500" or Mexico's
//! "12,500"). A member's chosen time zone (the `bazaar_zone` cookie their account page sets)
//! goes along with it. The choice goes into the request's extensions (pages, server functions and the
//! page cache read it) and, for the JSON API, into the task-local `CURRENT`.

use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::domain::i18n::{
    COOKIE, CURRENT, Lang, Locale, ReaderZone, ZONE_COOKIE, preferred_lang, remember,
};

#[derive(Clone, Copy)]
pub struct Choice {
    pub default: Lang,
    pub https: bool,
}

/// The locale a request is answered in.
pub fn locale_for(headers: &HeaderMap, default: Lang) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let lang = chosen(headers)
        .or_else(|| preferred_lang(accept))
        .unwrap_or(default);
    Locale::for_reader(lang, accept)
}

/// The language in the reader's cookie, if it names one we speak.
fn chosen(headers: &HeaderMap) -> Option<Lang> {
    cookie(headers, COOKIE).and_then(|value| Lang::ALL.into_iter().find(|l| l.code() == value))
}

/// The time zone the reader chose on their account page, if the cookie names a real one.
pub fn zone_for(headers: &HeaderMap) -> Option<ReaderZone> {
    cookie(headers, ZONE_COOKIE)
        .and_then(|value| value.parse::<chrono_tz::Tz>().ok())
        .map(ReaderZone)
}

fn cookie<'a>(headers: &'a HeaderMap, wanted: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
}

pub async fn choose(State(choice): State<Choice>, mut request: Request, next: Next) -> Response {
    let locale = locale_for(request.headers(), choice.default);
    if let Some(zone) = zone_for(request.headers()) {
        request.extensions_mut().insert(zone);
    }
    request.extensions_mut().insert(locale);
    request.extensions_mut().insert(choice);
    let mut response = CURRENT.scope(locale, next.run(request)).await;
    let headers = response.headers_mut();
    // What a page says depends on these two: a shared cache must not give one reader's
    // language to another.
    headers.append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.lang().code()),
    );
    response
}

#[derive(Deserialize)]
pub struct Switch {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /language`: the header's switch, a plain form, so it works before (and without) the
/// WebAssembly. Remembers the choice for a year and goes back to the page it was made on.
pub async fn switch(
    State(state): State<app::infra::state::AppState>,
    session: tower_sessions::Session,
    choice: Option<axum::Extension<Choice>>,
    Form(form): Form<Switch>,
) -> Response {
    let https = choice.is_some_and(|c| c.https);
    let Some(lang) = Lang::ALL.into_iter().find(|l| l.code() == form.lang) else {
        return app::AppError::bad_request(app::domain::i18n::tr().t("language.unknown"))
            .into_response();
    };
    // Only a path on this site: the redirect is never to somewhere a link chose.
    let back = if form.back.starts_with('/')
        && !form.back.starts_with("//")
        && !form.back.contains('\\')
    {
        form.back
    } else {
        "/".to_owned()
    };
    // A signed-in member's choice is theirs on every device they sign in on.
    if let Ok(Some(account_id)) = session.get::<i64>(app::infra::caller::ACCOUNT_ID).await {
        let saved = sqlx::query!(
            "UPDATE accounts SET language = $1 WHERE id = $2",
            lang.code(),
            account_id
        )
        .execute(&state.pool)
        .await;
        if let Err(error) = saved {
            // The cookie still carries the choice on this device.
            tracing::warn!(%error, "could not save a member's language");
        }
    }
    let cookie = remember(lang, https);
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
