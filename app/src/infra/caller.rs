//! Who is calling, checked once per request, handed back as a proof.
//!
//! Every server function starts with `authorize::<P>()` for a policy `P` (`Anyone`, `Member`,
//! `Staff`, `Admin`). The value it returns is the only way to reach the database as that
//! caller: the proofs' fields are private, so nothing but the check can make one, and a query
//! that changes staff data takes a `&Staff`, not a pool. `Admin` stands in for `Staff`, and
//! `Staff` for `Member`, by `Deref`: an admin is a staff user, and staff have accounts too.

use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;

use axum::extract::ConnectInfo;
use sqlx::PgPool;
use tower_sessions::Session;

use super::config::Config;
use super::state::AppState;
use crate::AppError;
use crate::domain::account::{Role, Tier, Viewer};
use crate::domain::error::server::reply;
use crate::domain::points::Points;

/// How the session store marks an error that means the database is unreachable (its errors
/// reach us as text).
pub const SESSION_STORE_UNREACHABLE: &str = "database unreachable: ";

/// Session keys: the signed-in account, when it signed in (Unix milliseconds), and the device
/// it signed in from (for the member's list of sessions). The session store reads the first and
/// last into columns of their own.
pub const ACCOUNT_ID: &str = "account_id";
const SIGNED_IN_AT: &str = "signed_in_at";
pub const DEVICE: &str = "device";

/// How long a session lasts, by role: staff and admin sessions can change other people's points,
/// so they end after half an hour unused or twelve hours in all; members stay signed in on their
/// phone for weeks.
pub struct SessionLimits {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

impl SessionLimits {
    pub fn for_role(role: Role) -> Self {
        match role {
            Role::Member => SessionLimits {
                idle: chrono::Duration::days(14),
                absolute: chrono::Duration::days(90),
            },
            Role::Staff | Role::Admin => SessionLimits {
                idle: chrono::Duration::minutes(30),
                absolute: chrono::Duration::hours(12),
            },
        }
    }
}

/// A session's last-seen time is written at most this often: a page load per second must not
/// be a write per second.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// A member's cookie is sent again (with a fresh expiry) at most this often while they use the
/// site, so it lasts 14 days from their last visit rather than from their sign-in.
const REFRESH_COOKIE_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// The key a session is stored under: a SHA-256 of its id, so the table alone cannot be used to
/// take over a session (the id itself is only ever in the member's cookie).
pub fn session_key(id: &tower_sessions::session::Id) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.to_string().as_bytes()).to_vec()
}

/// The request as the check found it, before any policy: private to this module.
struct Request {
    state: AppState,
    session: Session,
    viewer: Option<Viewer>,
    /// The signed-in account has two-factor sign-in on.
    two_factor: bool,
}

/// A policy: what the check demands of the caller, and the proof it hands back.
pub trait Policy: Sized + private::Sealed {
    #[doc(hidden)]
    fn admit(request: RequestToken) -> Result<Self, AppError>;
}

/// Opaque to other modules: a policy can only be implemented here.
pub struct RequestToken(Request);

mod private {
    pub trait Sealed {}
    impl Sealed for super::Anyone {}
    impl Sealed for super::Member {}
    impl Sealed for super::Staff {}
    impl Sealed for super::Admin {}
}

/// Anyone, signed in or not: public information such as the bazaar.
pub struct Anyone(Request);

/// A signed-in account of any role, acting on its own data.
pub struct Member {
    request: Request,
    account: Viewer,
}

/// A staff user (or an admin).
pub struct Staff(Member);

/// An admin.
pub struct Admin(Staff);

impl Policy for Anyone {
    fn admit(RequestToken(request): RequestToken) -> Result<Self, AppError> {
        Ok(Anyone(request))
    }
}

impl Policy for Member {
    fn admit(RequestToken(mut request): RequestToken) -> Result<Self, AppError> {
        // The account moves out of the request: a `Member` reads it from `account` only.
        let account = request.viewer.take().ok_or(AppError::Unauthenticated)?;
        Ok(Member { request, account })
    }
}

impl Policy for Staff {
    fn admit(token: RequestToken) -> Result<Self, AppError> {
        let member = Member::admit(token)?;
        if member.account.role >= Role::Staff {
            Ok(Staff(member))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl Policy for Admin {
    fn admit(token: RequestToken) -> Result<Self, AppError> {
        let staff = Staff::admit(token)?;
        if staff.account().role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        // Admins change roles and keys and read everyone's mail: a password alone is not enough
        // (except in the demo store on this machine, `Config::admin_two_factor`).
        let request = &staff.0.request;
        if request.state.config.admin_two_factor && !request.two_factor {
            return Err(AppError::bad_request(
                crate::domain::i18n::tr().t("account.two_factor.admins_need_it"),
            ));
        }
        Ok(Admin(staff))
    }
}

impl Anyone {
    pub fn state(&self) -> &AppState {
        &self.0.state
    }
    pub fn pool(&self) -> &PgPool {
        &self.0.state.pool
    }
    pub fn session(&self) -> &Session {
        &self.0.session
    }
    /// The signed-in account, if any.
    pub fn viewer(&self) -> Option<&Viewer> {
        self.0.viewer.as_ref()
    }
}

impl Member {
    pub fn state(&self) -> &AppState {
        &self.request.state
    }
    pub fn pool(&self) -> &PgPool {
        &self.request.state.pool
    }
    pub fn session(&self) -> &Session {
        &self.request.session
    }
    /// The signed-in account.
    pub fn account(&self) -> &Viewer {
        &self.account
    }
}

impl Deref for Staff {
    type Target = Member;
    fn deref(&self) -> &Member {
        &self.0
    }
}

impl Deref for Admin {
    type Target = Staff;
    fn deref(&self) -> &Staff {
        &self.0
    }
}

/// Who is calling, looked up once for a page: the header, the page's own data and anything
/// else rendered with it each authorize, and each would read the account again. The server
/// provides a fresh one for every request; it is used only while a `GET` renders, since a
/// mutation may sign someone in or out between two checks.
#[derive(Clone, Default)]
pub struct PageCaller(std::sync::Arc<tokio::sync::OnceCell<Option<(Viewer, bool)>>>);

fn reading_a_page() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.method == axum::http::Method::GET)
}

/// Checks policy `P` for the current request and returns its proof. On failure the response
/// status is already set, so a server function can simply `?` it.
pub async fn authorize<P: Policy>() -> Result<P, AppError> {
    async {
        let state = AppState::current()?;
        let session: Session = leptos_axum::extract()
            .await
            .map_err(|e| AppError::internal("reading the session", e))?;
        authorize_session(state, session).await
    }
    .await
    .map_err(reply)
}

/// The same check for a plain axum handler (e.g. a CSV download), which has the state and
/// session as extractors rather than in the Leptos context.
pub async fn authorize_session<P: Policy>(
    state: AppState,
    session: Session,
) -> Result<P, AppError> {
    let read = |e: tower_sessions::session::Error| match &e {
        tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(
            message,
        )) if message.starts_with(SESSION_STORE_UNREACHABLE) => {
            tracing::warn!(%message, "session store unreachable");
            AppError::Unavailable
        }
        _ => AppError::internal("reading the session", e),
    };
    let look = async {
        let account_id: Option<i64> = session.get(ACCOUNT_ID).await.map_err(read)?;
        let signed_in_at: Option<i64> = session.get(SIGNED_IN_AT).await.map_err(read)?;
        match (account_id, signed_in_at, session.id()) {
            (Some(id), Some(at), Some(session_id)) => {
                current_viewer(&state.pool, &session, &session_key(&session_id), id, at).await
            }
            _ => Ok(None),
        }
    };
    let signed_in = match leptos::prelude::use_context::<PageCaller>().filter(|_| reading_a_page())
    {
        Some(memo) => memo.0.get_or_try_init(|| look).await?.clone(),
        None => look.await?,
    };
    let (viewer, two_factor) = match signed_in {
        Some((viewer, two_factor)) => (Some(viewer), two_factor),
        None => (None, false),
    };
    P::admit(RequestToken(Request {
        state,
        session,
        viewer,
        two_factor,
    }))
}

/// The account signed in to this session, if the session is still good for its role: not
/// ended by a password change, not idle too long, not too old. A session past its role's limits
/// is deleted, and the request continues signed out. A session in use has its last-seen time
/// kept (to the minute). With it, whether the account has two-factor sign-in on.
async fn current_viewer(
    pool: &PgPool,
    session: &Session,
    key: &[u8],
    id: i64,
    signed_in_at_ms: i64,
) -> Result<Option<(Viewer, bool)>, AppError> {
    let signed_in_at = chrono::DateTime::from_timestamp_millis(signed_in_at_ms);
    let row = sqlx::query!(
        r#"SELECT a.id, a.email, a.display_name, a.role, a.tier, a.balance AS "balance: Points",
                  a.totp_enabled_at IS NOT NULL AS "two_factor!",
                  s.last_seen_at AS "last_seen_at?", now() AS "now!"
           FROM accounts a LEFT JOIN sessions s ON s.id_sha256 = $3
           WHERE a.id = $1 AND a.sessions_valid_after <= $2"#,
        id,
        signed_in_at,
        key
    )
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let broken = |what: &str| AppError::internal("loading an account", what.to_owned());
    let role = Role::parse(&r.role).ok_or_else(|| broken("unknown role"))?;
    let limits = SessionLimits::for_role(role);
    let now = r.now;
    // A session not yet in the table is being created by this very request.
    let last_seen = r.last_seen_at.unwrap_or(now);
    let too_old = signed_in_at.is_none_or(|at| now - at > limits.absolute);
    if too_old || now - last_seen > limits.idle {
        session
            .flush()
            .await
            .map_err(|e| AppError::internal("ending an expired session", e))?;
        return Ok(None);
    }
    if now - last_seen > TOUCH_EVERY {
        let expires_at = (now + limits.idle).min(signed_in_at.unwrap_or(now) + limits.absolute);
        sqlx::query!(
            "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_sha256 = $1",
            key,
            now,
            expires_at
        )
        .execute(pool)
        .await?;
        if role == Role::Member && now - last_seen > REFRESH_COOKIE_EVERY {
            // Saving the session again sends its cookie again, with a fresh expiry.
            session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::days(14),
            )));
        }
    }
    let viewer = Viewer {
        id: r.id,
        email: r.email,
        display_name: r.display_name,
        role,
        tier: Tier::parse(&r.tier).ok_or_else(|| broken("unknown tier"))?,
        balance: r.balance,
    };
    Ok(Some((viewer, r.two_factor)))
}

/// Starts a fresh session for `account_id`. A new session id is issued at every sign-in, so a
/// session id planted before sign-in is worthless after it.
pub async fn start_session(
    session: &Session,
    account_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let fail = |e| AppError::internal("starting a session", e);
    session.cycle_id().await.map_err(fail)?;
    session.insert(ACCOUNT_ID, account_id).await.map_err(fail)?;
    let parts: Option<axum::http::request::Parts> = leptos::prelude::use_context();
    let agent = parts
        .as_ref()
        .and_then(|p| p.headers.get(axum::http::header::USER_AGENT))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    session
        .insert(DEVICE, crate::domain::device::describe(agent))
        .await
        .map_err(fail)?;
    session
        .insert(SIGNED_IN_AT, at.timestamp_millis())
        .await
        .map_err(fail)
}

/// The client's address, for per-address limits: the peer's, or behind a trusted proxy (see
/// `Config::trusted_proxies`) the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy. Entries left of that are whatever the client chose to send, so trusting them
/// would let anyone pick the address their failures are counted against.
pub fn client_ip(state: &AppState) -> String {
    let parts: Option<axum::http::request::Parts> = leptos::prelude::use_context();
    parts.map_or_else(
        || "unknown".into(),
        |parts| client_ip_of(&state.config, &parts),
    )
}

/// The same, from a request's parts.
pub fn client_ip_of(config: &Config, parts: &axum::http::request::Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    client_ip_from(config, peer, &parts.headers)
}

/// The same, from the peer's address and the headers (for plain axum handlers).
pub fn client_ip_from(
    config: &Config,
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if forwarded.is_empty() {
        return peer.to_string();
    }
    if !config.is_trusted_proxy(peer) {
        if config.trusted_proxies.is_empty() {
            warn_untrusted_proxy(peer);
        }
        return peer.to_string();
    }
    forwarded_client(&forwarded, |ip| config.is_trusted_proxy(ip))
        .unwrap_or(peer)
        .to_string()
}

/// Walks `X-Forwarded-For` from the right past trusted proxies. An entry that is not an
/// address ends the walk there (a proxy would not write one): the last trusted hop is used.
fn forwarded_client(forwarded: &str, trusted: impl Fn(IpAddr) -> bool) -> Option<IpAddr> {
    let mut last = None;
    for entry in forwarded.rsplit(',').map(str::trim) {
        let ip: IpAddr = entry.parse().ok()?;
        last = Some(ip);
        if !trusted(ip) {
            return Some(ip);
        }
    }
    last
}

/// Requests arriving through a proxy that is not trusted all count as the proxy's address, so
/// one client's failures would lock out everyone behind it: said once, loudly.
fn warn_untrusted_proxy(peer: IpAddr) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            %peer,
            "requests carry X-Forwarded-For but no proxy is trusted: every client behind that proxy shares its address for sign-in and press limits. Set BAZAAR_TRUSTED_PROXIES to your proxies' ranges (README, Behind a proxy)."
        );
    });
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn behind_trusted_proxies_the_client_is_the_right_most_untrusted_address() {
        let trusted = |ip: std::net::IpAddr| ip.to_string().starts_with("10.");
        let read = |header: &str| forwarded_client(header, trusted).map(|ip| ip.to_string());
        assert_eq!(read("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            read("1.2.3.4, 203.0.113.7, 10.0.0.5").as_deref(),
            Some("203.0.113.7"),
            "a made-up first entry is ignored, and so is our own second proxy"
        );
        assert_eq!(read("10.0.0.9, 10.0.0.5").as_deref(), Some("10.0.0.9"));
        assert_eq!(read("203.0.113.7, junk").as_deref(), None);
    }
}
