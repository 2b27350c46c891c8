//! Requests through the router and the replies the tests read.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::endpoints::AppError;

/// The origin tests pretend to be: the router checks mutations against the Host header.
pub const ORIGIN: &str = "http://bazaar.test";

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The typed error a server function answered with, as the browser decodes it; its
    /// `to_string()` is the message the person sees.
    pub fn app_error(&self) -> AppError {
        serde_json::from_str(self.text())
            .unwrap_or_else(|e| panic!("not an AppError ({e}): {}", self.body))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The session cookie (`name=value`) the response set, if any.
    pub fn cookie(&self) -> Option<String> {
        let line = self
            .body
            .lines()
            .find_map(|l| l.strip_prefix("--set-cookie: "))?;
        Some(line.split(';').next()?.to_owned())
    }

    /// The full Set-Cookie header.
    pub fn set_cookie(&self) -> Option<&str> {
        self.body
            .lines()
            .find_map(|l| l.strip_prefix("--set-cookie: "))
    }

    /// The body without the appended cookie line.
    pub fn text(&self) -> &str {
        self.body
            .split("\n--set-cookie: ")
            .next()
            .unwrap_or_default()
    }
}

/// The message of a field error, with its field: what the person sees beside the input.
pub fn field_error(reply: &Reply) -> (String, String) {
    match reply.app_error() {
        AppError::Invalid { field, message } => (field, message),
        other => panic!("expected a field error, got {other:?} ({})", reply.status),
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    // A hang fails the test that hit it, naming the request, instead of stalling the suite.
    let uri = request.uri().clone();
    tokio::time::timeout(ANSWER_WITHIN, answer(app, request))
        .await
        .unwrap_or_else(|_| panic!("no complete answer to {uri} within {ANSWER_WITHIN:?}"))
}

/// Far beyond any answer's time on a loaded CI machine; only a hang reaches it.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

/// Where test requests come from unless a test says otherwise (`TestApp::at_address`): a
/// client on this machine, as a browser on the same machine would be.
pub const CLIENT: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50_000);

async fn answer(app: &Router, mut request: Request<Body>) -> Reply {
    // axum::serve adds the peer's address to every request; a request sent straight to the
    // router has none unless we add it.
    if request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_none()
    {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(CLIENT));
    }
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Like `send`, keeping the session's `Set-Cookie` header (else the first one): appended to the
/// body, where `Reply::cookie` finds it.
pub async fn send_with_cookie(app: &Router, request: Request<Body>) -> Reply {
    let mut reply = send(app, request).await;
    let cookies: Vec<&str> = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.contains("bazaar_session="))
        .or(cookies.first())
        .map(|c| (*c).to_owned());
    if let Some(cookie) = session {
        reply.body = format!("{}\n--set-cookie: {cookie}", reply.body);
    }
    reply
}

/// A form body, as a browser encodes it.
pub fn form_body(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The visible text of a page: its tags, the catalog it carries for the browser, its scripts
/// and styles taken out.
pub fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let tag = &rest[start..];
        let skip_to = ["<script", "<style", "<template"]
            .iter()
            .find(|open| tag.starts_with(**open))
            .and_then(|open| {
                let close = format!("</{}>", &open[1..]);
                tag.find(&close).map(|end| end + close.len())
            })
            .or_else(|| tag.find('>').map(|end| end + 1))
            .unwrap_or(tag.len());
        rest = &tag[skip_to..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}
