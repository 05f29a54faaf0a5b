//! What counts as an email address everywhere in agentgw.

/// A plausible address: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 254 bytes.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::is_valid_email;

    #[test]
    fn plausible_addresses_only() {
        for ok in ["a@b.co", "alex.banda+x@example.com"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "[email protected]",
            "a",
            "a@b",
            "@b.co",
            "a@@b.co",
            "a b@c.co",
            "a@b.co.",
            "a@.b.co",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
