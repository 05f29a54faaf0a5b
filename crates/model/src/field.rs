//! Canonical fields by name, so a backend can say which ones it holds and the gateway can keep
//! the rest itself (shadow fields) and merge them back.

use crate::Profile;

/// One field of a profile (extensions are per dialect and handled apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Email,
    FirstName,
    LastName,
    DisplayName,
    Username,
    Role,
    Availability,
    Active,
    Confirmed,
    Locked,
    Banned,
    Phone,
    PhoneCountryCode,
    Title,
    Bio,
    Avatar,
    TimeZone,
    Language,
    DatetimeFormat,
    Teams,
    Permissions,
    Notifications,
    LastLogin,
    LastActive,
    /// An identity provider's own id for the agent (SCIM `externalId`).
    ExternalId,
}

/// Copies one field of a profile into another.
type CopyField = fn(&Profile, &mut Profile);

/// How each field is copied from one profile to another: one row per field.
const COPY: [(Field, CopyField); 25] = [
    (Field::Email, |f, t| t.email = f.email.clone()),
    (Field::FirstName, |f, t| t.first_name = f.first_name.clone()),
    (Field::LastName, |f, t| t.last_name = f.last_name.clone()),
    (Field::DisplayName, |f, t| {
        t.display_name = f.display_name.clone()
    }),
    (Field::Username, |f, t| t.username = f.username.clone()),
    (Field::Role, |f, t| t.role = f.role),
    (Field::Availability, |f, t| t.availability = f.availability),
    (Field::Active, |f, t| t.state.active = f.state.active),
    (Field::Confirmed, |f, t| {
        t.state.confirmed = f.state.confirmed
    }),
    (Field::Locked, |f, t| t.state.locked_at = f.state.locked_at),
    (Field::Banned, |f, t| t.state.banned = f.state.banned),
    (Field::Phone, |f, t| t.phone = f.phone.clone()),
    (Field::PhoneCountryCode, |f, t| {
        t.phone_country_code = f.phone_country_code.clone()
    }),
    (Field::Title, |f, t| t.title = f.title.clone()),
    (Field::Bio, |f, t| t.bio = f.bio.clone()),
    (Field::Avatar, |f, t| t.avatar_url = f.avatar_url.clone()),
    (Field::TimeZone, |f, t| t.time_zone = f.time_zone.clone()),
    (Field::Language, |f, t| t.language = f.language.clone()),
    (Field::DatetimeFormat, |f, t| {
        t.datetime_format = f.datetime_format.clone()
    }),
    (Field::Teams, |f, t| t.teams = f.teams.clone()),
    (Field::Permissions, |f, t| {
        t.permissions = f.permissions.clone()
    }),
    (Field::Notifications, |f, t| {
        t.notifications = f.notifications.clone()
    }),
    (Field::LastLogin, |f, t| t.last_login_at = f.last_login_at),
    (Field::LastActive, |f, t| {
        t.last_active_at = f.last_active_at
    }),
    (Field::ExternalId, |f, t| {
        t.external_id = f.external_id.clone()
    }),
];

impl Field {
    /// Every field.
    pub const ALL: [Field; 25] = {
        let mut all = [Field::Email; 25];
        let mut i = 0;
        while i < 25 {
            all[i] = COPY[i].0;
            i += 1;
        }
        all
    };

    /// Copy this field's value from `from` into `to`.
    pub fn copy(self, from: &Profile, to: &mut Profile) {
        if let Some((_, copy)) = COPY.iter().find(|(f, _)| *f == self) {
            copy(from, to);
        }
    }

    /// The config-facing name (`time_zone`, `first_name`, …).
    pub fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::DisplayName => "display_name",
            Field::Username => "username",
            Field::Role => "role",
            Field::Availability => "availability",
            Field::Active => "active",
            Field::Confirmed => "confirmed",
            Field::Locked => "locked",
            Field::Banned => "banned",
            Field::Phone => "phone",
            Field::PhoneCountryCode => "phone_country_code",
            Field::Title => "title",
            Field::Bio => "bio",
            Field::Avatar => "avatar_url",
            Field::TimeZone => "time_zone",
            Field::Language => "language",
            Field::DatetimeFormat => "datetime_format",
            Field::Teams => "teams",
            Field::Permissions => "permissions",
            Field::Notifications => "notifications",
            Field::LastLogin => "last_login_at",
            Field::LastActive => "last_active_at",
            Field::ExternalId => "external_id",
        }
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
        assert_eq!(set.len(), 25);
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
