//! Libredesk's two credential schemes: `Basic base64(key:secret)` and `token key:secret`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The (key, secret) an `Authorization` header carries, if it is well formed.
/// Schemes are case-sensitive, as Libredesk's are.
pub fn key_secret(header: &str) -> Option<(String, String)> {
    let pair = if let Some(encoded) = header.strip_prefix("Basic ") {
        String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?
    } else {
        header.strip_prefix("token ")?.trim().to_owned()
    };
    let (key, secret) = pair.split_once(':')?;
    Some((key.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemes_and_nothing_else() {
        let basic = format!("Basic {}", STANDARD.encode("dev-key:dev:secret"));
        assert_eq!(
            key_secret(&basic),
            Some(("dev-key".into(), "dev:secret".into())),
            "the secret may hold ':'"
        );
        assert_eq!(
            key_secret("token dev-key:dev-secret"),
            Some(("dev-key".into(), "dev-secret".into()))
        );
        assert_eq!(
            key_secret("basic ZGV2LWtleTpkZXYtc2VjcmV0"),
            None,
            "schemes are case-sensitive"
        );
        assert_eq!(key_secret("Token dev-key:dev-secret"), None);
        assert_eq!(key_secret("Basic !!!"), None);
        assert_eq!(key_secret("token no-colon"), None);
        assert_eq!(key_secret("Bearer dev-key:dev-secret"), None);
    }
}
