//! How single-string names, first/last names and usernames derive from one another.
//!
//! Rules (documented in ARCHITECTURE.md, relied on by every face):
//! - a full name splits at its first run of white space: "Alex Banda" → ("Alex", "Banda"),
//!   "Cher" → ("Cher", ""), "Mary Ann Smith" → ("Mary", "Ann Smith");
//! - first and last name join with one space, an empty part dropped;
//! - a username, where none was given, is the email's local part, lowercased, with every
//!   character outside `[a-z0-9._-]` replaced by `_` (Rocket.Chat's username alphabet); the store
//!   appends `.2`, `.3`, … when that username is taken, and keeps it: it never changes after.

/// Split a full name into (first, last) at the first run of white space.
pub fn split_name(full: &str) -> (String, String) {
    let full = full.trim();
    match full.split_once(char::is_whitespace) {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (full.to_owned(), String::new()),
    }
}

/// Join first and last name with one space, dropping an empty part.
pub fn join_name(first: &str, last: &str) -> String {
    match (first.trim(), last.trim()) {
        (f, "") => f.to_owned(),
        ("", l) => l.to_owned(),
        (f, l) => format!("{f} {l}"),
    }
}

/// The longest derived username: the store's `.N` suffix must still fit the username limit.
const MAX_DERIVED: usize = 100;

/// The username an agent gets when it never had one: the email's local part, lowercased,
/// limited to Rocket.Chat's username characters and to 100 of them (`agent` when nothing is left).
pub fn derive_username(email: &str) -> String {
    let local = email
        .split('@')
        .next()
        .unwrap_or(email)
        .trim()
        .to_lowercase();
    let cleaned: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_DERIVED)
        .collect();
    if cleaned.is_empty() {
        "agent".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join_round_trip() {
        assert_eq!(split_name("Alex Banda"), ("Alex".into(), "Banda".into()));
        assert_eq!(split_name("  Cher "), ("Cher".into(), "".into()));
        assert_eq!(
            split_name("Mary Ann  Smith"),
            ("Mary".into(), "Ann  Smith".into())
        );
        assert_eq!(join_name("Alex", "Banda"), "Alex Banda");
        assert_eq!(join_name("Cher", ""), "Cher");
        assert_eq!(join_name("", "Banda"), "Banda");
    }

    #[test]
    fn username_from_email() {
        assert_eq!(derive_username("Alex.Banda@Example.com"), "alex.banda");
        assert_eq!(derive_username("no-at-sign"), "no-at-sign");
        assert_eq!(derive_username("Zoë+test@example.com"), "zo__test");
        assert_eq!(derive_username("@example.com"), "agent");
        let long = format!("{}@example.com", "a".repeat(240));
        assert_eq!(derive_username(&long).len(), 100);
    }
}
