//! Canonical fields by name, so a backend can say which ones it holds and the gateway can keep
//! the rest itself (shadow fields) and merge them back.

use crate::{Profile, ProfilePatch};

/// Copies one field of a profile into another.
type CopyField = fn(&Profile, &mut Profile);
/// Sets one field of a patch to its value in a profile.
type FillField = fn(&Profile, &mut ProfilePatch);
/// Leaves one field of a patch alone.
type ClearField = fn(&mut ProfilePatch);

/// What the model knows of one field, written once: its name, and how it moves between
/// profiles and patches.
struct Spec {
    field: Field,
    name: &'static str,
    copy: CopyField,
    fill: FillField,
    clear: ClearField,
}

/// Declares [`Field`] and its [`Spec`]s from one table, so that a variant, its name and its
/// places in [`Profile`] and [`ProfilePatch`] cannot drift apart.
macro_rules! fields {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal: profile.$($at:ident).+, patch.$patch:ident; )+) => {
        /// One field of a profile (extensions are per dialect and handled apart).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field {
            $( $(#[$doc])* $variant, )+
        }

        /// One row per field, in [`Field`]'s order (a field's row is `SPECS[field as usize]`).
        #[allow(clippy::clone_on_copy)]
        const SPECS: &[Spec] = &[
            $( Spec {
                field: Field::$variant,
                name: $name,
                copy: |from, to| to.$($at).+ = from.$($at).+.clone(),
                fill: |from, patch| patch.$patch = Some(from.$($at).+.clone()),
                clear: |patch| patch.$patch = None,
            }, )+
        ];
    };
}

// A new field: a row here, its place in `Profile` and `ProfilePatch`, one line of
// `ProfilePatch::apply`, its limits, and the adapters' mapping tables (ARCHITECTURE.md,
// "Adding a field").
fields! {
    Email = "email": profile.email, patch.email;
    FirstName = "first_name": profile.first_name, patch.first_name;
    LastName = "last_name": profile.last_name, patch.last_name;
    DisplayName = "display_name": profile.display_name, patch.display_name;
    Username = "username": profile.username, patch.username;
    Role = "role": profile.role, patch.role;
    Availability = "availability": profile.availability, patch.availability;
    Active = "active": profile.state.active, patch.active;
    Confirmed = "confirmed": profile.state.confirmed, patch.confirmed;
    Locked = "locked": profile.state.locked_at, patch.locked_at;
    Banned = "banned": profile.state.banned, patch.banned;
    Phone = "phone": profile.phone, patch.phone;
    PhoneCountryCode = "phone_country_code": profile.phone_country_code, patch.phone_country_code;
    Title = "title": profile.title, patch.title;
    Bio = "bio": profile.bio, patch.bio;
    Avatar = "avatar_url": profile.avatar_url, patch.avatar_url;
    TimeZone = "time_zone": profile.time_zone, patch.time_zone;
    Language = "language": profile.language, patch.language;
    DatetimeFormat = "datetime_format": profile.datetime_format, patch.datetime_format;
    Teams = "teams": profile.teams, patch.teams;
    Permissions = "permissions": profile.permissions, patch.permissions;
    Notifications = "notifications": profile.notifications, patch.notifications;
    LastLogin = "last_login_at": profile.last_login_at, patch.last_login_at;
    LastActive = "last_active_at": profile.last_active_at, patch.last_active_at;
    /// An identity provider's own id for the agent (SCIM `externalId`).
    ExternalId = "external_id": profile.external_id, patch.external_id;
}

impl Field {
    /// How many fields there are.
    pub const COUNT: usize = SPECS.len();

    /// Every field, in declaration order.
    pub const ALL: [Field; Field::COUNT] = {
        let mut all = [Field::Email; Field::COUNT];
        let mut i = 0;
        while i < Field::COUNT {
            all[i] = SPECS[i].field;
            i += 1;
        }
        all
    };

    /// This field's row (the macro writes the rows in the enum's order).
    fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    /// Copy this field's value from `from` into `to`.
    pub fn copy(self, from: &Profile, to: &mut Profile) {
        (self.spec().copy)(from, to);
    }

    /// Set this field of `patch` to its value in `from`.
    pub(crate) fn fill(self, from: &Profile, patch: &mut ProfilePatch) {
        (self.spec().fill)(from, patch);
    }

    /// Leave this field of `patch` alone.
    pub(crate) fn clear(self, patch: &mut ProfilePatch) {
        (self.spec().clear)(patch);
    }

    /// The config-facing name (`time_zone`, `first_name`, …).
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// The profile a backend that holds only `held` shows, completed from `shadow`: every field it
/// does not hold, and every extension of another dialect than `own`, comes from the shadow.
pub fn merge_shadow(remote: &Profile, shadow: &Profile, held: &[Field], own: &str) -> Profile {
    let mut out = remote.clone();
    for field in Field::ALL.iter().filter(|f| !held.contains(f)) {
        field.copy(shadow, &mut out);
    }
    let mut extensions = shadow.extensions.clone();
    extensions.remove(own);
    if let Some(own_fields) = remote.extensions.of(own) {
        extensions.merge(own, own_fields.clone());
    }
    out.extensions = extensions;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_fields_are_distinct_and_copied() {
        let set: std::collections::HashSet<_> = Field::ALL.iter().collect();
        assert_eq!(set.len(), Field::COUNT);
        for (i, spec) in SPECS.iter().enumerate() {
            assert_eq!(spec.field as usize, i, "{} is out of order", spec.name);
        }
        let names: std::collections::HashSet<_> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Field::COUNT, "names are distinct");
        let from = Profile {
            title: Some("Lead".into()),
            email: "a@b.co".into(),
            ..Profile::default()
        };
        let mut to = Profile::default();
        Field::Title.copy(&from, &mut to);
        assert_eq!((to.title.as_deref(), to.email.as_str()), (Some("Lead"), ""));
    }

    #[test]
    fn shadow_fills_what_the_remote_cannot_hold() {
        let mut remote = Profile {
            email: "remote@x.io".into(),
            title: None,
            ..Profile::default()
        };
        remote.extensions.merge(
            "comm100",
            serde_json::json!({"shiftIds": [1]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let mut shadow = Profile {
            email: "stale@x.io".into(),
            title: Some("Lead".into()),
            ..Profile::default()
        };
        shadow.extensions.merge(
            "libredesk",
            serde_json::json!({"send_welcome_email": true})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        shadow.extensions.merge(
            "comm100",
            serde_json::json!({"shiftIds": [9]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let merged = merge_shadow(&remote, &shadow, &[Field::Email], "comm100");
        assert_eq!(
            merged.email, "remote@x.io",
            "held fields come from the remote"
        );
        assert_eq!(
            merged.title.as_deref(),
            Some("Lead"),
            "others from the shadow"
        );
        assert_eq!(
            merged.extensions.get("comm100", "shiftIds"),
            Some(&serde_json::json!([1])),
            "the remote's own extensions win"
        );
        assert_eq!(
            merged.extensions.get("libredesk", "send_welcome_email"),
            Some(&serde_json::json!(true))
        );
    }
}
