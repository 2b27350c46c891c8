use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::{ApiKeyInfo, ApiKeys, TeamMember};
use crate::AppError;
use crate::domain::account::{Email, Role};
use crate::domain::error::server::violated_constraint;
use crate::domain::i18n::tr;
use crate::infra::audit::audit;
use crate::infra::caller::Admin;

/// Session key for a key just created, shown once on the next page.
const FRESH_KEY: &str = "fresh_api_key";

pub fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub async fn team(pool: &sqlx::PgPool) -> Result<Vec<TeamMember>, AppError> {
    Ok(sqlx::query_as!(
        TeamMember,
        "SELECT email, display_name, role FROM accounts WHERE role <> 'member' ORDER BY role, email"
    )
    .fetch_all(pool)
    .await?)
}

pub async fn set_role(caller: &Admin, email: &str, role: &str) -> Result<(), AppError> {
    let me = caller.account();
    let email = Email::parse(email)?;
    let role = Role::parse(role.trim())
        .ok_or_else(|| AppError::invalid("role", tr().t("team.errors.unknown_role")))?;
    let role = match role {
        Role::Member => "member",
        Role::Staff => "staff",
        Role::Admin => "admin",
    };
    let mut tx = caller.pool().begin().await?;
    let account = sqlx::query!(
        "SELECT id, role FROM accounts WHERE email = $1 FOR UPDATE",
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("email", tr().t("team.errors.no_account")))?;
    if account.id == me.id {
        return Err(AppError::invalid("email", tr().t("team.errors.own_role")));
    }
    if account.role == role {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE accounts SET role = $2, sessions_valid_after = now() WHERE id = $1",
        account.id,
        role
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        me.id,
        "account.role",
        &format!("account:{}", account.id),
        Some(json!({ "email": email.as_str(), "role": account.role })),
        Some(json!({ "email": email.as_str(), "role": role })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a key and returns its id and the key in full; only its hash is kept.
pub async fn create_key(
    conn: &mut PgConnection,
    name: &str,
    source: &str,
    created_by: Option<i64>,
) -> Result<(i64, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::invalid("name", tr().t("team.errors.key_name")));
    }
    let secret = crate::infra::secret::random_token(40);
    let key = format!("rb_{secret}");
    let prefix: String = key.chars().take(11).collect();
    let id = sqlx::query_scalar!(
        "INSERT INTO api_keys (name, source, prefix, secret_sha256, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        name,
        source.trim(),
        prefix,
        sha256(&key),
        created_by
    )
    .fetch_one(conn)
    .await
    .map_err(|e| match violated_constraint(&e) {
        Some("api_keys_source_shape") => {
            AppError::invalid("source", tr().t("team.errors.key_source"))
        }
        _ => e.into(),
    })?;
    Ok((id, key))
}

pub async fn keys(caller: &Admin) -> Result<ApiKeys, AppError> {
    let store = crate::infra::store::load(caller.pool()).await?;
    let fresh_key: Option<String> = caller
        .session()
        .remove(FRESH_KEY)
        .await
        .map_err(|e| AppError::internal("reading the session", e))?;
    let keys = sqlx::query!(
        r#"SELECT id, name, source, prefix, created_at, last_used_at, revoked_at IS NOT NULL AS "revoked!"
           FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC"#
    )
    .fetch_all(caller.pool())
    .await?
    .into_iter()
    .map(|r| ApiKeyInfo {
        id: r.id,
        name: r.name,
        source: r.source,
        prefix: r.prefix,
        created: store.format_time(r.created_at),
        last_used: r.last_used_at.map(|t| store.format_time(t)),
        revoked: r.revoked,
    })
    .collect();
    Ok(ApiKeys { keys, fresh_key })
}

pub async fn create(caller: &Admin, name: &str, source: &str) -> Result<(), AppError> {
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let (id, key) = create_key(&mut tx, name, source, Some(me)).await?;
    audit(
        &mut tx,
        me,
        "api_key.create",
        &format!("api_key:{id}"),
        None,
        Some(json!({ "name": name.trim(), "source": source.trim(), "prefix": &key[..11] })),
    )
    .await?;
    tx.commit().await?;
    caller
        .session()
        .insert(FRESH_KEY, key)
        .await
        .map_err(|e| AppError::internal("writing the session", e))?;
    Ok(())
}

pub async fn revoke(caller: &Admin, id: i64) -> Result<(), AppError> {
    let me = caller.account().id;
    let mut tx = caller.pool().begin().await?;
    let key = sqlx::query!(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING name, source",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found(tr().t("team.that_api_key")))?;
    audit(
        &mut tx,
        me,
        "api_key.revoke",
        &format!("api_key:{id}"),
        Some(json!({ "name": key.name, "source": key.source, "revoked": false })),
        Some(json!({ "name": key.name, "source": key.source, "revoked": true })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
