//! The audit log: every staff action with what it changed, for admins to read.

mod pages;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use pages::AuditPage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(with = "crate::domain::wire::instant")]
    pub at: DateTime<Utc>,
    pub at_label: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The audit trail, newest first, optionally filtered by action or by who did it. Admins only.
#[server(prefix = "/api/fn", endpoint = "staff/audit", input = server_fn::codec::GetUrl, output = crate::domain::wire::Answer)]
pub async fn audit_entries(
    action: Option<String>,
    actor: Option<String>,
) -> Result<Vec<AuditEntry>, AppError> {
    let caller = crate::infra::caller::authorize::<crate::infra::caller::Admin>().await?;
    ssr::audit_entries(&caller, action.as_deref(), actor.as_deref())
        .await
        .map_err(crate::domain::error::server::reply)
}

#[cfg(feature = "ssr")]
pub mod ssr;
