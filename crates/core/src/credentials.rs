//! Credentials by shape (each dialect's adapter declares its shape), checked in constant time.

use serde::Deserialize;
use subtle::{Choice, ConstantTimeEq};

use crate::Secret;

/// The shape of a dialect's credentials, as its adapter declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialShape {
    /// One token (a header such as `Authorization: Bearer`).
    Token,
    /// A user id and a token that belong together.
    UserToken,
    /// A key and a secret that belong together.
    KeySecret,
}

impl CredentialShape {
    /// How the shape is written in a configuration file.
    pub fn as_toml(self) -> &'static str {
        match self {
            CredentialShape::Token => "{ token }",
            CredentialShape::UserToken => "{ user_id, token }",
            CredentialShape::KeySecret => "{ key, secret }",
        }
    }
}

/// One accepted credential, in the shape its dialect sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token.
    Token(Secret),
    /// A user id and its token.
    UserToken { user_id: String, token: Secret },
    /// A key and its secret.
    KeySecret { key: String, secret: Secret },
}

/// A credential as written in the config file, before its shape is checked against the dialect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredential {
    pub token: Option<Secret>,
    pub user_id: Option<String>,
    pub key: Option<String>,
    pub secret: Option<Secret>,
}

impl RawCredential {
    /// Check it has `shape`, with non-empty values; the error says which keys were expected.
    pub fn with_shape(self, shape: CredentialShape) -> Result<Credential, String> {
        let filled = |s: &str| !s.is_empty();
        let found = match (shape, self) {
            (
                CredentialShape::Token,
                RawCredential {
                    token: Some(token),
                    user_id: None,
                    key: None,
                    secret: None,
                },
            ) if filled(token.expose()) => Some(Credential::Token(token)),
            (
                CredentialShape::UserToken,
                RawCredential {
                    token: Some(token),
                    user_id: Some(user_id),
                    key: None,
                    secret: None,
                },
            ) if filled(token.expose()) && filled(&user_id) => {
                Some(Credential::UserToken { user_id, token })
            }
            (
                CredentialShape::KeySecret,
                RawCredential {
                    token: None,
                    user_id: None,
                    key: Some(key),
                    secret: Some(secret),
                },
            ) if filled(&key) && filled(secret.expose()) => {
                Some(Credential::KeySecret { key, secret })
            }
            _ => None,
        };
        found.ok_or_else(|| format!("must be {} with non-empty values", shape.as_toml()))
    }
}

fn ct_eq(a: &str, b: &str) -> Choice {
    // Lengths are not secret enough to hide; the bytes are compared in constant time.
    a.as_bytes().ct_eq(b.as_bytes())
}

/// The credentials a route accepts. Every check walks every entry, so timing does not say which
/// entry (or which part of it) matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialSet(Vec<Credential>);

impl CredentialSet {
    /// A set from checked credentials.
    pub fn new(entries: Vec<Credential>) -> Self {
        CredentialSet(entries)
    }

    /// Whether `token` is one of the route's tokens.
    pub fn accepts_token(&self, token: &str) -> bool {
        let mut ok = Choice::from(0);
        for entry in &self.0 {
            if let Credential::Token(t) = entry {
                ok |= ct_eq(t.expose(), token);
            }
        }
        ok.into()
    }

    /// Whether `user_id` and `token` match the same entry.
    pub fn accepts_user_token(&self, user_id: &str, token: &str) -> bool {
        let mut ok = Choice::from(0);
        for entry in &self.0 {
            if let Credential::UserToken {
                user_id: u,
                token: t,
            } = entry
            {
                ok |= ct_eq(u, user_id) & ct_eq(t.expose(), token);
            }
        }
        ok.into()
    }

    /// Whether `key` and `secret` match the same entry.
    pub fn accepts_key_secret(&self, key: &str, secret: &str) -> bool {
        let mut ok = Choice::from(0);
        for entry in &self.0 {
            if let Credential::KeySecret { key: k, secret: s } = entry {
                ok |= ct_eq(k, key) & ct_eq(s.expose(), secret);
            }
        }
        ok.into()
    }

    /// Whether any entry is one of the documented development credentials.
    pub fn uses_dev_defaults(&self) -> bool {
        self.0.iter().any(|c| match c {
            Credential::Token(t) | Credential::UserToken { token: t, .. } => {
                t.expose() == "dev-token"
            }
            Credential::KeySecret { secret, .. } => secret.expose() == "dev-secret",
        })
    }

    /// How many credentials the route accepts.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the route accepts no credential at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(
        token: Option<&str>,
        user_id: Option<&str>,
        key: Option<&str>,
        secret: Option<&str>,
    ) -> RawCredential {
        RawCredential {
            token: token.map(Secret::new),
            user_id: user_id.map(String::from),
            key: key.map(String::from),
            secret: secret.map(Secret::new),
        }
    }

    #[test]
    fn shapes_are_checked() {
        use CredentialShape::*;
        assert!(raw(Some("t"), None, None, None).with_shape(Token).is_ok());
        assert!(
            raw(Some("t"), None, None, None)
                .with_shape(UserToken)
                .is_err()
        );
        assert!(
            raw(Some("t"), Some("u"), None, None)
                .with_shape(UserToken)
                .is_ok()
        );
        assert!(
            raw(None, None, Some("k"), Some("s"))
                .with_shape(KeySecret)
                .is_ok()
        );
        assert_eq!(
            raw(Some(""), None, None, None).with_shape(Token).err(),
            Some("must be { token } with non-empty values".into())
        );
        assert!(
            raw(Some("t"), None, Some("k"), None)
                .with_shape(Token)
                .is_err()
        );
    }

    #[test]
    fn user_and_token_must_match_one_entry() {
        let set = CredentialSet::new(vec![
            Credential::UserToken {
                user_id: "a".into(),
                token: Secret::new("ta"),
            },
            Credential::UserToken {
                user_id: "b".into(),
                token: Secret::new("tb"),
            },
        ]);
        assert!(set.accepts_user_token("a", "ta"));
        assert!(set.accepts_user_token("b", "tb"));
        assert!(!set.accepts_user_token("a", "tb"));
        assert!(!set.accepts_token("ta"));
    }

    #[test]
    fn tokens_compare_exactly() {
        let set = CredentialSet::new(vec![Credential::Token(Secret::new("dev-token"))]);
        assert!(set.accepts_token("dev-token"));
        assert!(!set.accepts_token("dev-toke"));
        assert!(!set.accepts_token("dev-tokenx"));
        assert!(!set.accepts_token(""));
        assert!(set.uses_dev_defaults());
        assert!(!format!("{set:?}").contains("dev-token"));
    }
}
