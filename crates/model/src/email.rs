//! What counts as an email address (and a username) everywhere in agentgw, and the keys their
//! uniqueness is decided on.
//!
//! Look-alikes must not become distinct agents: an address is NFKC-normalised before anything
//! else (full-width `ａｌｅｘ` is `alex`), its domain goes through IDNA (UTS 46) for the key,
//! and what no honest address holds is refused: invisible format characters (Unicode Cf: zero
//! width space, bidi overrides, soft hyphen) and a local part or domain label that mixes
//! scripts (Latin `a` beside Cyrillic `а`). A whole-script address (`алекс@пример.рф`) is fine.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::MixedScript;

/// The longest address kept, in bytes (RFC 5321's path limit less its brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why an email address or a username is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressProblem {
    #[error("is not a valid email address")]
    Invalid,
    #[error("is too long")]
    TooLong,
    #[error("contains an invisible formatting character")]
    Invisible,
    #[error("mixes characters of different scripts")]
    MixedScripts,
}

fn nfkc(raw: &str) -> String {
    raw.trim().nfkc().collect()
}

fn is_invisible(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

fn check_characters(text: &str) -> Result<(), AddressProblem> {
    if text.chars().any(is_invisible) {
        Err(AddressProblem::Invisible)
    } else if !text.is_single_script() {
        Err(AddressProblem::MixedScripts)
    } else {
        Ok(())
    }
}

/// The canonical (Unicode, lowercase) form of a domain, or why it is refused.
fn canonical_domain(domain: &str) -> Result<String, AddressProblem> {
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(AddressProblem::Invalid);
    }
    for label in domain.split('.') {
        check_characters(label)?;
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| AddressProblem::Invalid)?;
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    result.map_err(|_| AddressProblem::Invalid)?;
    Ok(unicode)
}

/// The address as agentgw keeps it (trimmed and NFKC-normalised), or why it is refused:
/// one `@`, a non-empty local part, a dotted domain IDNA accepts, no white space or control
/// characters, no invisible characters, no mixed scripts, at most 254 bytes.
pub fn parse_email(raw: &str) -> Result<String, AddressProblem> {
    let email = nfkc(raw);
    if email.len() > MAX_EMAIL_BYTES {
        return Err(AddressProblem::TooLong);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AddressProblem::Invalid);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(AddressProblem::Invalid);
    };
    if local.is_empty() || domain.contains('@') {
        return Err(AddressProblem::Invalid);
    }
    check_characters(local)?;
    canonical_domain(domain)?;
    Ok(email)
}

/// Whether `email` is an address [`parse_email`] accepts.
pub fn is_valid_email(email: &str) -> bool {
    parse_email(email).is_ok()
}

/// The key two addresses are the same agent by: NFKC, lowercase, the domain in its canonical
/// IDNA form. Total: an address `parse_email` refuses still gets a key (lowercased NFKC).
pub fn email_key(email: &str) -> String {
    let email = nfkc(email);
    match email.split_once('@') {
        Some((local, domain)) => match canonical_domain(domain) {
            Ok(domain) => format!("{}@{domain}", local.to_lowercase()),
            Err(_) => email.to_lowercase(),
        },
        None => email.to_lowercase(),
    }
}

/// A username as agentgw keeps it (trimmed and NFKC-normalised), or why it is refused:
/// no control, white-space or invisible characters, one script, at most 120 characters.
pub fn parse_username(raw: &str) -> Result<String, AddressProblem> {
    let username = nfkc(raw);
    if username.is_empty()
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AddressProblem::Invalid);
    }
    if crate::limits::check_text(&username, crate::limits::USERNAME).is_err() {
        return Err(AddressProblem::TooLong);
    }
    check_characters(&username)?;
    Ok(username)
}

/// The key two usernames are the same by: NFKC and lowercase.
pub fn username_key(username: &str) -> String {
    nfkc(username).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_addresses_only() {
        for ok in [
            "a@b.co",
            "alex.banda+x@example.com",
            "алекс@пример.рф",
            "日本語@example.jp",
        ] {
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
            "a\u{0}@b.co",
        ] {
            assert_eq!(parse_email(bad), Err(AddressProblem::Invalid), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(parse_email(&long), Err(AddressProblem::TooLong));
    }

    #[test]
    fn look_alikes_are_the_same_key_or_refused() {
        let key = email_key("alex@example.com");
        // Full width and case: the same agent.
        assert_eq!(
            parse_email("ａｌｅｘ@ｅｘａｍｐｌｅ.ｃｏｍ").map(|e| email_key(&e)),
            Ok(key.clone())
        );
        assert_eq!(email_key(" Alex@EXAMPLE.com "), key);
        // Invisible characters.
        for bad in [
            "al\u{200B}ex@example.com",
            "\u{202E}alex@example.com",
            "al\u{AD}ex@example.com",
        ] {
            assert_eq!(parse_email(bad), Err(AddressProblem::Invisible), "{bad:?}");
        }
        // Cyrillic а and Greek ο among Latin letters, in the local part or in a domain label.
        for bad in [
            "\u{430}lex@example.com",
            "alex@ex\u{430}mple.com",
            "\u{3bf}lex@example.com",
        ] {
            assert_eq!(
                parse_email(bad),
                Err(AddressProblem::MixedScripts),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(parse_username(" ｇｒａｃｅ "), Ok("grace".into()));
        assert_eq!(username_key("Grace.Hopper"), "grace.hopper");
        assert_eq!(
            parse_username("gr\u{200B}ace"),
            Err(AddressProblem::Invisible)
        );
        assert_eq!(
            parse_username("gr\u{430}ce"),
            Err(AddressProblem::MixedScripts)
        );
        assert_eq!(parse_username("a b"), Err(AddressProblem::Invalid));
        assert_eq!(
            parse_username(&"a".repeat(121)),
            Err(AddressProblem::TooLong)
        );
    }
}
