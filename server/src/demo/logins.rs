//! The demo sign-ins on a network. The README publishes their passwords so that a newcomer on
//! their own machine can look around as a member, staff user or admin; served beyond loopback
//! (`0.0.0.0`, a container's port), those passwords would let anyone who read the README in
//! as admin. So there each demo account still on its published password gets a random one,
//! printed once at start.

use std::net::SocketAddr;

use anyhow::Result;
use sqlx::PgPool;

use super::DEMO_LOGINS;

/// A demo account given a new password.
#[derive(Debug, Clone)]
pub struct NewDemoLogin {
    pub email: &'static str,
    pub role: &'static str,
    pub password: String,
}

/// Listening on `addr`: when that is beyond loopback, replaces each published demo password
/// still in use with a random one and returns them (to print); existing sessions of those
/// accounts end. On loopback nothing changes.
pub async fn secure_demo_logins(pool: &PgPool, addr: SocketAddr) -> Result<Vec<NewDemoLogin>> {
    if addr.ip().is_loopback() {
        return Ok(Vec::new());
    }
    let mut replaced = Vec::new();
    for (email, published, _, role) in DEMO_LOGINS {
        let hash =
            sqlx::query_scalar!("SELECT password_hash FROM accounts WHERE email = $1", email)
                .fetch_optional(pool)
                .await?
                .flatten();
        let Some(hash) = hash else { continue };
        if !app::account::ssr::password_matches(published.to_owned(), hash).await? {
            continue;
        }
        let password = app::infra::secret::random_token(20);
        let hash = app::account::ssr::hash_password(password.clone()).await?;
        sqlx::query!(
            "UPDATE accounts SET password_hash = $2, sessions_valid_after = now() WHERE email = $1",
            email,
            hash
        )
        .execute(pool)
        .await?;
        replaced.push(NewDemoLogin {
            email,
            role,
            password,
        });
    }
    Ok(replaced)
}

/// The demo accounts this database holds: the server warns at every start while there are any.
pub async fn demo_accounts(pool: &PgPool) -> Result<Vec<String>> {
    let emails: Vec<String> = DEMO_LOGINS.iter().map(|l| l.0.to_owned()).collect();
    Ok(sqlx::query_scalar!(
        "SELECT email FROM accounts WHERE email = ANY($1) ORDER BY id",
        &emails
    )
    .fetch_all(pool)
    .await?)
}
