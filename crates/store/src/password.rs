//! Password hashing: argon2id PHC strings (the `argon2` crate, RustCrypto), off the async threads.

use agentgw_core::BackendError;
use agentgw_model::Password;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

/// Hash with argon2id and the crate's default (OWASP-recommended) parameters.
pub(crate) async fn hash_password(password: Password) -> Result<String, BackendError> {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::rng().fill(&mut bytes);
        let salt = SaltString::encode_b64(&bytes)
            .map_err(|e| BackendError::Internal(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| BackendError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| BackendError::Internal(format!("password hashing task failed: {e}")))?
}

/// Whether `password` matches a stored PHC hash.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
