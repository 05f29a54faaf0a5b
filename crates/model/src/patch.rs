//! A partial update of a profile: `None` leaves a field alone.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{Availability, Field, Flags, Password, Profile, Role, TimeZone, join_name};

/// A partial update. `None` leaves a field as it is; for optional fields `Some(None)` clears it.
/// Flags merge key by key; extensions merge field by field within their dialect.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub username: Option<Option<String>>,
    pub role: Option<Role>,
    pub availability: Option<Availability>,
    pub active: Option<bool>,
    pub confirmed: Option<bool>,
    pub locked_at: Option<Option<DateTime<Utc>>>,
    pub banned: Option<bool>,
    pub phone: Option<Option<String>>,
    pub phone_country_code: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub time_zone: Option<Option<TimeZone>>,
    pub language: Option<Option<String>>,
    pub datetime_format: Option<Option<String>>,
    pub teams: Option<Vec<String>>,
    pub permissions: Option<Flags>,
    pub notifications: Option<Flags>,
    pub last_login_at: Option<Option<DateTime<Utc>>>,
    pub last_active_at: Option<Option<DateTime<Utc>>>,
    pub external_id: Option<Option<String>>,
    /// (dialect, fields) to merge into that dialect's extensions.
    pub extensions: Option<(String, Map<String, Value>)>,
    /// A new password; the embedded store replaces the stored hash.
    pub password: Option<Password>,
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

impl ProfilePatch {
    /// A patch that makes any profile equal to `p` (every field set; extensions merged).
    pub fn from_profile(p: &Profile) -> Self {
        let mut patch = ProfilePatch::default();
        for field in Field::ALL {
            field.fill(p, &mut patch);
        }
        patch
    }

    /// A patch that sets `fields` to their values in `p` and leaves every other field alone.
    pub fn only(p: &Profile, fields: &[Field]) -> Self {
        let mut patch = ProfilePatch::from_profile(p);
        for field in Field::ALL.iter().filter(|f| !fields.contains(f)) {
            field.clear(&mut patch);
        }
        patch
    }

    /// Apply to `profile`. The display name follows first/last name changes while it still
    /// equals the join of the old first and last name (it was derived, not chosen).
    pub fn apply(self, profile: &mut Profile) {
        let display_was_derived =
            profile.display_name == join_name(&profile.first_name, &profile.last_name);
        let names_changed = self.first_name.is_some() || self.last_name.is_some();
        set(&mut profile.email, self.email);
        set(&mut profile.first_name, self.first_name);
        set(&mut profile.last_name, self.last_name);
        match self.display_name {
            Some(display) => profile.display_name = display,
            None if names_changed && display_was_derived => {
                profile.display_name = join_name(&profile.first_name, &profile.last_name);
            }
            None => {}
        }
        set(&mut profile.username, self.username);
        set(&mut profile.role, self.role);
        set(&mut profile.availability, self.availability);
        set(&mut profile.state.active, self.active);
        set(&mut profile.state.confirmed, self.confirmed);
        set(&mut profile.state.locked_at, self.locked_at);
        set(&mut profile.state.banned, self.banned);
        set(&mut profile.phone, self.phone);
        set(&mut profile.phone_country_code, self.phone_country_code);
        set(&mut profile.title, self.title);
        set(&mut profile.bio, self.bio);
        set(&mut profile.avatar_url, self.avatar_url);
        set(&mut profile.time_zone, self.time_zone);
        set(&mut profile.language, self.language);
        set(&mut profile.datetime_format, self.datetime_format);
        set(&mut profile.teams, self.teams);
        if let Some(flags) = self.permissions {
            profile.permissions.extend(flags);
        }
        if let Some(flags) = self.notifications {
            profile.notifications.extend(flags);
        }
        set(&mut profile.last_login_at, self.last_login_at);
        set(&mut profile.last_active_at, self.last_active_at);
        set(&mut profile.external_id, self.external_id);
        if let Some((dialect, fields)) = self.extensions {
            profile.extensions.merge(&dialect, fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(first: &str, last: &str, display: &str) -> Profile {
        Profile {
            first_name: first.into(),
            last_name: last.into(),
            display_name: display.into(),
            ..Profile::default()
        }
    }

    #[test]
    fn only_sets_the_fields_named() {
        let mut source = profile("Ann", "New", "Ann New");
        source.title = Some("Lead".into());
        source.phone = Some("555".into());
        let mut target = profile("Ann", "Old", "Ann Old");
        target.phone = Some("123".into());
        let before = target.clone();
        ProfilePatch::only(&source, &[Field::LastName, Field::Title]).apply(&mut target);
        assert_eq!(target.last_name, "New");
        assert_eq!(target.title.as_deref(), Some("Lead"));
        assert_eq!(target.phone, before.phone, "a field not named stays");
        assert_eq!(
            target.display_name, "Ann New",
            "a derived display name follows"
        );
        // Every field named is every field set: the table has a row for each.
        let mut all = Profile::default();
        ProfilePatch::only(&source, &Field::ALL).apply(&mut all);
        assert_eq!(all, source);
    }

    #[test]
    fn derived_display_name_follows_last_name() {
        let mut p = profile("John", "Doe", "John Doe");
        ProfilePatch {
            last_name: Some("Wick".into()),
            ..Default::default()
        }
        .apply(&mut p);
        assert_eq!(p.display_name, "John Wick");
    }

    #[test]
    fn chosen_display_name_stays() {
        let mut p = profile("Andy", "Liao", "Andy L.");
        ProfilePatch {
            last_name: Some("Lee".into()),
            ..Default::default()
        }
        .apply(&mut p);
        assert_eq!(p.display_name, "Andy L.");
        assert_eq!(p.last_name, "Lee");
    }

    #[test]
    fn flags_and_extensions_merge() {
        let mut p = profile("A", "B", "A B");
        p.permissions.insert("manage_articles".into(), true);
        p.extensions.merge(
            "comm100",
            serde_json::json!({"shiftIds": [1], "skillIds": []})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let patch = ProfilePatch {
            permissions: Some([("view_all_tickets".to_owned(), false)].into()),
            extensions: Some((
                "comm100".into(),
                serde_json::json!({"skillIds": [2]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )),
            ..Default::default()
        };
        patch.apply(&mut p);
        assert_eq!(p.permissions.get("manage_articles"), Some(&true));
        assert_eq!(p.permissions.get("view_all_tickets"), Some(&false));
        assert_eq!(
            p.extensions.get("comm100", "shiftIds"),
            Some(&serde_json::json!([1]))
        );
        assert_eq!(
            p.extensions.get("comm100", "skillIds"),
            Some(&serde_json::json!([2]))
        );
    }

    #[test]
    fn none_leaves_and_some_none_clears() {
        let mut p = profile("A", "B", "A B");
        p.title = Some("Manager".into());
        p.phone = Some("123".into());
        ProfilePatch {
            title: Some(None),
            ..Default::default()
        }
        .apply(&mut p);
        assert_eq!(p.title, None);
        assert_eq!(p.phone.as_deref(), Some("123"));
    }
}
