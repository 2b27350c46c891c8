//! Administration: who is on the staff, and the API keys integrators' shops and tills use.
//! Admins only; every change lands in the audit log.

mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use pages::{ApiKeysPage, TeamPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: i64,
    pub name: String,
    pub source: String,
    pub prefix: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeys {
    pub keys: Vec<ApiKeyInfo>,
    /// A key created just now, shown this once (it is only stored hashed).
    pub fresh_key: Option<String>,
}

#[server(prefix = "/api/fn", endpoint = "admin/team", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn list_team() -> Result<Vec<TeamMember>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::team(caller.pool())
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Makes an existing account a member, staff or admin. A changed role signs them out everywhere,
/// so lost rights take effect at once.
#[server(prefix = "/api/fn", endpoint = "admin/set_role", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn set_role(email: String, role: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::set_role(&caller, &email, &role)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/team?saved=1&at={}", fresh()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "admin/api_keys", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn list_api_keys() -> Result<ApiKeys, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::keys(&caller)
        .await
        .map_err(crate::domain::error::server::reply)
}

/// Creates a key for the earning API; the page shows it once.
#[server(prefix = "/api/fn", endpoint = "admin/create_api_key", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn create_api_key(name: String, source: String) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::create(&caller, &name, &source)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/api-keys?created=1&at={}", fresh()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "admin/revoke_api_key", input = server_fn::codec::PostUrl, output = crate::domain::wire::Answer)]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::revoke(&caller, id)
        .await
        .map_err(crate::domain::error::server::reply)?;
    leptos_axum::redirect(&format!("/staff/api-keys?revoked=1&at={}", fresh()));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(feature = "ssr")]
use crate::infra::fresh;
