//! Credentials by shape (each dialect's adapter declares its shape), checked in constant time.

use serde::Deserialize;
use subtle::{Choice, ConstantTimeEq};

use crate::Secret;

/// The shape of a credential, as an adapter declares what its routes and upstreams take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialShape {
    /// One token (a header such as `Authorization: Bearer`).
    Token,
    /// A user id and a token that belong together.
    UserToken,
    /// A key and a secret that belong together.
    KeySecret,
    /// An API key sent as HTTP Basic `email:key`, with a site id on every call.
    ApiKey,
    /// The OAuth 2.0 refresh-token grant: access tokens that expire and are renewed.
    OAuth,
    /// A user and password exchanged for a session token that lasts until refused.
    Login,
}

impl CredentialShape {
    /// How the shape is written in a configuration file.
    pub fn as_toml(self) -> &'static str {
        match self {
            CredentialShape::Token => "{ token }",
            CredentialShape::UserToken => "{ user_id, token }",
            CredentialShape::KeySecret => "{ key, secret }",
            CredentialShape::ApiKey => "{ api_key = { email, key, site_id } }",
            CredentialShape::OAuth => {
                "{ oauth = { token_url, client_id, client_secret (optional), refresh_token } }"
            }
            CredentialShape::Login => "{ login = { user, password } }",
        }
    }
}

/// One credential, in one of the shapes above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token.
    Token(Secret),
    /// A user id and its token.
    UserToken { user_id: String, token: Secret },
    /// A key and its secret.
    KeySecret { key: String, secret: Secret },
    /// An API key: Basic `email:key`, and `site_id` on every call.
    ApiKey {
        email: String,
        key: Secret,
        site_id: u64,
    },
    /// The refresh-token grant of an OAuth 2.0 client.
    OAuth(OAuthGrant),
    /// A user's login.
    Login { user: String, password: Secret },
}

/// What the OAuth 2.0 refresh-token grant needs (RFC 6749 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthGrant {
    /// The authorization server's token endpoint.
    pub token_url: String,
    pub client_id: String,
    /// Absent for a public client.
    pub client_secret: Option<Secret>,
    /// The refresh token the configuration was given (the store keeps any it rotated to).
    pub refresh_token: Secret,
}

/// A credential as written in the config file, before its shape is checked against the dialect.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredential {
    pub token: Option<Secret>,
    pub user_id: Option<String>,
    pub key: Option<String>,
    pub secret: Option<Secret>,
    pub api_key: Option<RawApiKey>,
    pub oauth: Option<RawOAuth>,
    pub login: Option<RawLogin>,
}

/// `api_key = { email, key, site_id }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    pub email: String,
    pub key: Secret,
    pub site_id: u64,
}

/// `oauth = { token_url, client_id, client_secret, refresh_token }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOAuth {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub refresh_token: Secret,
}

/// `login = { user, password }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogin {
    pub user: String,
    pub password: Secret,
}

impl RawCredential {
    /// The shape its keys make, if they make one.
    fn shape(&self) -> Option<CredentialShape> {
        let keys = [
            self.token.is_some(),
            self.user_id.is_some(),
            self.key.is_some(),
            self.secret.is_some(),
            self.api_key.is_some(),
            self.oauth.is_some(),
            self.login.is_some(),
        ];
        Some(match keys {
            [true, false, false, false, false, false, false] => CredentialShape::Token,
            [true, true, false, false, false, false, false] => CredentialShape::UserToken,
            [false, false, true, true, false, false, false] => CredentialShape::KeySecret,
            [false, false, false, false, true, false, false] => CredentialShape::ApiKey,
            [false, false, false, false, false, true, false] => CredentialShape::OAuth,
            [false, false, false, false, false, false, true] => CredentialShape::Login,
            _ => return None,
        })
    }

    /// Check it has `shape`, with non-empty values; the error says which keys were expected.
    pub fn with_shape(self, shape: CredentialShape) -> Result<Credential, String> {
        self.with_shapes(&[shape])
    }

    /// Check it has one of `shapes`, with non-empty values; the error lists the shapes.
    pub fn with_shapes(self, shapes: &[CredentialShape]) -> Result<Credential, String> {
        let expected = || {
            let names: Vec<&str> = shapes.iter().map(|s| s.as_toml()).collect();
            format!("must be {} with non-empty values", names.join(" or "))
        };
        match self.shape() {
            Some(shape) if shapes.contains(&shape) => self.build().ok_or_else(expected),
            _ => Err(expected()),
        }
    }

    /// The credential its keys make, when every value is filled in.
    fn build(self) -> Option<Credential> {
        let filled = |s: &str| !s.trim().is_empty();
        let secret = |s: &Secret| filled(s.expose());
        let credential = match self {
            RawCredential {
                token: Some(token),
                user_id: None,
                ..
            } if secret(&token) => Credential::Token(token),
            RawCredential {
                token: Some(token),
                user_id: Some(user_id),
                ..
            } if secret(&token) && filled(&user_id) => Credential::UserToken { user_id, token },
            RawCredential {
                key: Some(key),
                secret: Some(s),
                ..
            } if filled(&key) && secret(&s) => Credential::KeySecret { key, secret: s },
            RawCredential {
                api_key: Some(a), ..
            } if filled(&a.email) && secret(&a.key) => Credential::ApiKey {
                email: a.email,
                key: a.key,
                site_id: a.site_id,
            },
            RawCredential { oauth: Some(o), .. }
                if (o.token_url.starts_with("https://") || o.token_url.starts_with("http://"))
                    && filled(&o.client_id)
                    && secret(&o.refresh_token)
                    && o.client_secret.as_ref().is_none_or(secret) =>
            {
                Credential::OAuth(OAuthGrant {
                    token_url: o.token_url,
                    client_id: o.client_id,
                    client_secret: o.client_secret,
                    refresh_token: o.refresh_token,
                })
            }
            RawCredential { login: Some(l), .. } if filled(&l.user) && secret(&l.password) => {
                Credential::Login {
                    user: l.user,
                    password: l.password,
                }
            }
            _ => return None,
        };
        Some(credential)
    }
}

/// The credential keys that hold a secret: each may instead be given as `<key>_file` (a
/// file's content, trimmed) or `<key>_env` (an environment variable), as containers and
/// Kubernetes hand secrets over.
pub const SECRET_KEYS: [&str; 6] = [
    "token",
    "key",
    "secret",
    "password",
    "refresh_token",
    "client_secret",
];

/// Replace every `<key>_file` / `<key>_env` in a credentials table (and the tables inside it)
/// by `<key>` with the value read; each problem names the key and the file or variable,
/// never a secret's value.
pub fn resolve_secrets(table: &mut serde_json::Value, place: &str, problems: &mut Vec<String>) {
    let serde_json::Value::Object(map) = table else {
        return;
    };
    for key in SECRET_KEYS {
        let (file_key, env_key) = (format!("{key}_file"), format!("{key}_env"));
        let given: Vec<&str> = [key, file_key.as_str(), env_key.as_str()]
            .into_iter()
            .filter(|k| map.contains_key(*k))
            .collect();
        if given.len() > 1 {
            problems.push(format!(
                "{place}: give one of {key}, {file_key} or {env_key}, not {}",
                given.join(" and ")
            ));
            continue;
        }
        let read = if let Some(path) = map.remove(&file_key) {
            let path = path.as_str().unwrap_or_default().to_owned();
            match std::fs::read_to_string(&path) {
                Ok(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
                Ok(_) => {
                    problems.push(format!("{place}: {file_key}: `{path}` is empty"));
                    None
                }
                Err(e) => {
                    problems.push(format!("{place}: {file_key}: cannot read `{path}`: {e}"));
                    None
                }
            }
        } else if let Some(var) = map.remove(&env_key) {
            let var = var.as_str().unwrap_or_default().to_owned();
            match std::env::var(&var) {
                Ok(value) if !value.trim().is_empty() => Some(value.trim().to_owned()),
                Ok(_) => {
                    problems.push(format!(
                        "{place}: {env_key}: the environment variable `{var}` is empty"
                    ));
                    None
                }
                Err(_) => {
                    problems.push(format!(
                        "{place}: {env_key}: the environment variable `{var}` is not set"
                    ));
                    None
                }
            }
        } else {
            None
        };
        if let Some(value) = read {
            map.insert(key.to_owned(), serde_json::Value::String(value));
        }
    }
    for (name, inner) in map.iter_mut() {
        if inner.is_object() {
            resolve_secrets(inner, &format!("{place}.{name}"), problems);
        }
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
            Credential::ApiKey { .. } | Credential::OAuth(_) | Credential::Login { .. } => false,
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
            ..RawCredential::default()
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
    fn upstream_shapes_are_told_apart_and_the_error_lists_them() {
        use CredentialShape::*;
        let comm100 = [Token, ApiKey, OAuth];
        let api_key = RawCredential {
            api_key: Some(RawApiKey {
                email: "a@example.com".into(),
                key: Secret::new("k"),
                site_id: 10000,
            }),
            ..RawCredential::default()
        };
        assert!(matches!(
            api_key.with_shapes(&comm100),
            Ok(Credential::ApiKey { site_id: 10000, .. })
        ));
        let oauth = |url: &str| RawCredential {
            oauth: Some(RawOAuth {
                token_url: url.into(),
                client_id: "c".into(),
                client_secret: None,
                refresh_token: Secret::new("r"),
            }),
            ..RawCredential::default()
        };
        assert!(matches!(
            oauth("https://dash15.comm100.io/oauth/token").with_shapes(&comm100),
            Ok(Credential::OAuth(_))
        ));
        let e = oauth("dash15.comm100.io").with_shapes(&comm100).err();
        assert_eq!(
            e.as_deref(),
            Some(
                "must be { token } or { api_key = { email, key, site_id } } or { oauth = { token_url, client_id, client_secret (optional), refresh_token } } with non-empty values"
            )
        );
        let login = RawCredential {
            login: Some(RawLogin {
                user: "bot".into(),
                password: Secret::new("pw"),
            }),
            ..RawCredential::default()
        };
        assert!(login.clone().with_shapes(&comm100).is_err());
        assert!(login.with_shapes(&[UserToken, Login]).is_ok());
    }

    #[test]
    fn secrets_come_from_files_and_the_environment_and_problems_never_show_them()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("token");
        std::fs::write(&file, "from-a-file\n")?;
        let var = "AGENTGW_TEST_CREDENTIALS_SECRET_ENV_7F3A";
        let mut table = serde_json::json!({
            "token_file": file.display().to_string(),
            "oauth": {"client_id": "c", "client_secret_env": "AGENTGW_TEST_NOT_SET_91B2", "refresh_token": "inline"},
        });
        let mut problems = Vec::new();
        resolve_secrets(&mut table, "credentials", &mut problems);
        assert_eq!(table["token"], "from-a-file");
        assert_eq!(
            problems,
            vec![
                "credentials.oauth: client_secret_env: the environment variable `AGENTGW_TEST_NOT_SET_91B2` is not set"
                    .to_owned()
            ]
        );
        let mut both = serde_json::json!({"token": "x", "token_env": var});
        let mut problems = Vec::new();
        resolve_secrets(&mut both, "credentials", &mut problems);
        assert_eq!(
            problems,
            vec![
                "credentials: give one of token, token_file or token_env, not token and token_env"
                    .to_owned()
            ]
        );
        let mut missing = serde_json::json!({"password_file": "/nonexistent/agentgw/pw"});
        let mut problems = Vec::new();
        resolve_secrets(&mut missing, "credentials.login", &mut problems);
        assert!(
            problems[0].starts_with(
                "credentials.login: password_file: cannot read `/nonexistent/agentgw/pw`"
            ),
            "{problems:?}"
        );
        Ok(())
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
