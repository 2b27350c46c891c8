use super::Policy;
use crate::AppError;
use crate::error::server::reply;
use crate::state::AppState;

/// What an authorised server function works with.
pub struct Caller {
    pub state: AppState,
}

/// Checks `policy` for the current request and returns the caller's context. On failure the
/// response status is already set, so a server function can simply `?` it.
pub async fn authorize(policy: Policy) -> Result<Caller, AppError> {
    let state = AppState::current().map_err(reply)?;
    match policy {
        Policy::Anyone => Ok(Caller { state }),
    }
}

/// Hashes a password with argon2id (19 MiB, t = 2, p = 1: the OWASP baseline). Hashing is
/// deliberately slow, so it runs off the async workers.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::internal("hashing a password", e))
    })
    .await
    .map_err(|e| AppError::internal("hashing a password", e))?
}
