//! What changed since the last run. The journal keeps, per copied agent, a fingerprint of the
//! source fields the target holds; a re-run compares the source with it, so "changed at the
//! source" holds even where the target shows a field differently (a default it filled in, a
//! zone in its own words).

use std::collections::BTreeMap;

use agentgw_model::{Field, Profile};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Fields a target sets itself (sign-ins, invitation state, presence): never a reason to
/// update. Presence especially: during a cutover agents still sign in and out at the source all
/// day, and the target's own sessions set theirs; a delta run must not chase it.
const TARGET_MANAGED: [Field; 4] = [
    Field::Confirmed,
    Field::Availability,
    Field::LastLogin,
    Field::LastActive,
];

/// The fields a migration copies and compares: those the target holds, less those it manages.
pub fn compared(held: Option<&'static [Field]>) -> Vec<Field> {
    Field::ALL
        .iter()
        .copied()
        .filter(|f| held.is_none_or(|h| h.contains(f)) && !TARGET_MANAGED.contains(f))
        .collect()
}

/// `field`'s value alone in an otherwise empty profile: how one field is compared and hashed.
fn alone(p: &Profile, field: Field) -> Profile {
    let mut out = Profile::default();
    field.copy(p, &mut out);
    out
}

/// Whether `field` is set in `p` (differs from an empty profile's).
pub fn is_set(p: &Profile, field: Field) -> bool {
    alone(p, field) != Profile::default()
}

/// Whether `a` and `b` hold the same value for `field`.
pub fn same(a: &Profile, b: &Profile, field: Field) -> bool {
    alone(a, field) == alone(b, field)
}

/// A digest per field of what the source held when it was last copied. Digests, not values:
/// the journal should not become a second copy of every agent's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(BTreeMap<String, String>);

impl Fingerprint {
    /// The fingerprint of `fields` in `p`.
    pub fn of(p: &Profile, fields: &[Field]) -> Self {
        Fingerprint(
            fields
                .iter()
                .map(|f| (f.name().to_owned(), digest(&alone(p, *f))))
                .collect(),
        )
    }

    /// The journal's text for it.
    pub fn encode(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Read the journal's text; `None` for text this version cannot read.
    pub fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok().map(Fingerprint)
    }

    /// The fields of `now` whose digest differs from this one's. A field this fingerprint
    /// lacks (the target holds more than when it was taken) counts as changed when set.
    pub fn changed(&self, now: &Profile, fields: &[Field]) -> Vec<Field> {
        fields
            .iter()
            .copied()
            .filter(|f| match self.0.get(f.name()) {
                Some(was) => *was != digest(&alone(now, *f)),
                None => is_set(now, *f),
            })
            .collect()
    }
}

/// A short, stable digest of a one-field profile: SHA-256 of what it holds beyond an empty
/// profile (so a field added to the model later leaves every digest as it was), first 16 hex
/// digits.
fn digest(p: &Profile) -> String {
    let value = serde_json::to_value(p).unwrap_or_default();
    let empty = serde_json::to_value(Profile::default()).unwrap_or_default();
    // serde_json's maps are ordered: the same value always serialises the same way.
    let json = serde_json::to_vec(&beyond(&value, &empty)).unwrap_or_default();
    let hash = Sha256::digest(&json);
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The parts of `value` that differ from `base`, objects compared key by key.
fn beyond(value: &Value, base: &Value) -> Value {
    match (value, base) {
        (Value::Object(v), Value::Object(b)) => Value::Object(
            v.iter()
                .filter(|(k, x)| b.get(*k) != Some(*x))
                .map(|(k, x)| (k.clone(), beyond(x, b.get(k).unwrap_or(&Value::Null))))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The fields where `source` and `target` differ, for an agent with no fingerprint (matched by
/// email, or journaled before fingerprints). A field the source leaves empty is no change: the
/// target may have filled it with its defaults.
pub fn differing(source: &Profile, target: &Profile, fields: &[Field]) -> Vec<Field> {
    fields
        .iter()
        .copied()
        .filter(|f| is_set(source, *f) && !same(source, target, *f))
        .collect()
}

/// Field names, for plans and reports.
pub fn names(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(last: &str) -> Profile {
        Profile {
            email: "ann@example.com".into(),
            first_name: "Ann".into(),
            last_name: last.into(),
            ..Profile::default()
        }
    }

    #[test]
    fn a_fingerprint_names_the_fields_that_changed() {
        let fields = compared(None);
        let print = Fingerprint::of(&person("Lee"), &fields);
        assert!(print.changed(&person("Lee"), &fields).is_empty());
        assert_eq!(
            print.changed(&person("Low"), &fields),
            vec![Field::LastName]
        );
        let mut titled = person("Lee");
        titled.title = Some("Lead".into());
        assert_eq!(print.changed(&titled, &fields), vec![Field::Title]);
        // A field cleared at the source is a change too (unlike a comparison with the target).
        let print = Fingerprint::of(&titled, &fields);
        assert_eq!(print.changed(&person("Lee"), &fields), vec![Field::Title]);
    }

    #[test]
    fn a_fingerprint_survives_the_journal() {
        let fields = compared(None);
        let print = Fingerprint::of(&person("Lee"), &fields);
        let read = Fingerprint::decode(&print.encode());
        assert_eq!(read.as_ref(), Some(&print));
        assert_eq!(Fingerprint::decode("not json"), None);
        // Stable across runs and versions: a journal written by one release is read by the next,
        // and a changed digest would make every agent look changed once. This is SHA-256 of
        // `{"last_name":"Lee"}`.
        assert_eq!(
            digest(&alone(&person("Lee"), Field::LastName)),
            "d9efaf6ff9349822"
        );
    }

    #[test]
    fn managed_and_unheld_fields_are_never_compared() {
        let held: &'static [Field] = &[Field::Email, Field::LastName, Field::Confirmed];
        assert_eq!(compared(Some(held)), vec![Field::Email, Field::LastName]);
        // An agent going offline at the source is not a change to bring over.
        let fields = compared(None);
        let print = Fingerprint::of(&person("Lee"), &fields);
        let mut away = person("Lee");
        away.availability = agentgw_model::Availability::Offline;
        away.last_active_at = agentgw_model::parse_time("2026-11-23T09:00:00Z");
        assert!(away.last_active_at.is_some());
        assert!(print.changed(&away, &fields).is_empty());
    }

    #[test]
    fn differing_ignores_what_the_source_leaves_empty() {
        let fields = compared(None);
        let mut target = person("Lee");
        target.title = Some("Filled by the target".into());
        assert!(differing(&person("Lee"), &target, &fields).is_empty());
        assert_eq!(
            differing(&person("Low"), &target, &fields),
            vec![Field::LastName]
        );
    }
}
