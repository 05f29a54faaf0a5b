//! A write-only password: never printed, never serialised.

/// A plaintext password on its way to be hashed (embedded store) or forwarded (upstream).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wrap a plaintext password.
    pub fn new(plain: impl Into<String>) -> Self {
        Password(plain.into())
    }

    /// The plaintext, for the hasher or an upstream request body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_password() {
        let p = super::Password::new("hunter22");
        assert!(!format!("{p:?}").contains("hunter22"));
    }
}
