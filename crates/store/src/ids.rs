//! Fresh ids for a new agent: a GUID and a Rocket.Chat-style 17-character id.

use rand::Rng;

/// Rocket.Chat's id alphabet (no look-alike characters).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

/// A random 17-character livechat id.
pub fn short_id() -> String {
    let mut rng = rand::rng();
    (0..17)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A random lowercase GUID.
pub fn guid() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_ids_have_the_livechat_shape() {
        let id = super::short_id();
        assert_eq!(id.len(), 17);
        assert!(id.bytes().all(|b| super::ALPHABET.contains(&b)));
        assert_ne!(super::short_id(), id);
    }
}
