//! Reward pictures. Demo and newly created rewards get an illustration drawn here from the
//! reward's category and title, so the catalog looks alive without downloading any images.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use app::AppError;
use app::domain::category::Category;
use app::domain::i18n::tr;

/// `GET /media/rewards/{id}.svg`
pub async fn reward_image(State(pool): State<PgPool>, Path(file): Path<String>) -> Response {
    let Some(id) = file
        .strip_suffix(".svg")
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return AppError::not_found(tr().t("api.media.image")).into_response();
    };
    let row = match sqlx::query!("SELECT title, category FROM rewards WHERE id = $1", id)
        .fetch_optional(&pool)
        .await
    {
        Ok(Some(row)) => row,
        Ok(None) => return AppError::not_found(tr().t("api.media.image")).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let category = row.category.parse().unwrap_or(Category::Gift);
    let mut response = (StatusCode::OK, illustration(id, &row.title, category)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

/// `GET /media/rewards/{id}/photo?v=…`: a picture staff uploaded. The URL carries the upload
/// time, so a new upload is a new URL and this one may be cached for good.
pub async fn reward_photo(State(pool): State<PgPool>, Path(id): Path<i64>) -> Response {
    let row = match sqlx::query!(
        "SELECT content_type, bytes FROM reward_images WHERE reward_id = $1",
        id
    )
    .fetch_optional(&pool)
    .await
    {
        Ok(Some(row)) => row,
        Ok(None) => return AppError::not_found(tr().t("api.media.picture")).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut response = (StatusCode::OK, row.bytes).into_response();
    let headers = response.headers_mut();
    // The database only admits the three image types; the value is checked again here so a
    // header can never be built from anything else.
    let content_type = match row.content_type.as_str() {
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        _ => "image/webp",
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// A 320×200 card illustration: a two-colour gradient picked from the id, the category's
/// glyph, and the title's initials.
pub fn illustration(id: i64, title: &str, category: Category) -> String {
    const PALETTES: [(&str, &str); 8] = [
        ("#5b2a86", "#c86fc9"),
        ("#1d4e89", "#4fb0c6"),
        ("#7a1f3d", "#e0777d"),
        ("#1e5f4a", "#7cc6a1"),
        ("#6b3e1f", "#e3a869"),
        ("#2d2a6e", "#8a84e2"),
        ("#0f5257", "#52b2a4"),
        ("#5a1846", "#f08fb0"),
    ];
    let (from, to) = PALETTES[id.rem_euclid(PALETTES.len() as i64) as usize];
    let glyph = match category {
        Category::Sample => {
            r##"<path d="M150 52h20v18l14 22v52a10 10 0 0 1-10 10h-28a10 10 0 0 1-10-10V92l14-22z" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/>"##
        }
        Category::Experience => {
            r##"<path d="M160 48l12 26 28 3-21 19 6 28-25-14-25 14 6-28-21-19 28-3z" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/>"##
        }
        Category::Service => {
            r##"<circle cx="160" cy="98" r="40" fill="none" stroke="#fff" stroke-width="6"/><path d="M160 72v28l18 12" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round"/>"##
        }
        Category::Discount => {
            r##"<path d="M122 60h52l30 38-30 38h-52z" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/><circle cx="140" cy="98" r="7" fill="#fff"/>"##
        }
        Category::FreeShipping => {
            r##"<path d="M112 72h60v50h-60zM172 86h22l14 18v18h-36z" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/><circle cx="132" cy="128" r="9" fill="#fff"/><circle cx="190" cy="128" r="9" fill="#fff"/>"##
        }
        Category::Gift => {
            r##"<path d="M118 80h84v58h-84zM112 66h96v16h-96zM160 66v72" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/><path d="M160 66c-10-22-34-20-30-6 3 8 30 6 30 6zm0 0c10-22 34-20 30-6-3 8-30 6-30 6z" fill="none" stroke="#fff" stroke-width="5"/>"##
        }
    };
    let initials: String = title
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .collect::<String>()
        .to_uppercase();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200" role="img" aria-hidden="true"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{from}"/><stop offset="1" stop-color="{to}"/></linearGradient></defs><rect width="320" height="200" fill="url(#g)"/>{glyph}<text x="300" y="186" text-anchor="end" font-family="system-ui,sans-serif" font-size="22" font-weight="700" fill="#fff" fill-opacity=".75">{initials}</text></svg>"##,
        initials = escape(&initials)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Cache rules for the site's own files under `/pkg/` (the hydrate bundle and the stylesheet).
/// With hashed names (`LEPTOS_HASH_FILES=true`, as the release scripts run it) a file never
/// changes under its name, so a phone keeps it for a year and a drop-time visit downloads only
/// the page; without hashing (development) the browser must revalidate every time.
pub async fn site_file_cache(
    State(hashed): State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_site_file = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if is_site_file && response.status().is_success() {
        // Precompressed copies (`.br`, `.gz`) are picked by Accept-Encoding but the static file
        // service does not say so; without Vary a shared cache could hand the brotli copy,
        // kept for a year, to a client that cannot read it.
        let varies = response
            .headers()
            .get_all(header::VARY)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
        if !varies {
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if hashed {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
    }
    response
}
