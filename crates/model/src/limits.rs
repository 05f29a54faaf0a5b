//! The documented limits of every value agentgw keeps, the same for every face and every store.
//!
//! Faces check their own wire fields against these (so an error names the field as the client
//! spelled it); the embedded store checks the whole profile again before it writes, so that what
//! it accepts it can always read back, on SQLite and PostgreSQL alike.
//!
//! | value | limit |
//! |---|---|
//! | first name, last name, title, team name | 255 characters, one line |
//! | display name | 511 characters, one line (a first and a last name joined) |
//! | username | 120 characters, one line |
//! | email | 254 bytes (see [`crate::parse_email`]) |
//! | phone | 64; phone country code 16; language 35; date-time format 64 characters |
//! | avatar URL | 2,048 characters |
//! | bio | 4,096 characters; tabs and line breaks allowed |
//! | teams | 100 per agent |
//! | permissions, notification settings | 64 names of at most 64 characters each |
//! | extensions (free-form JSON) | 64 fields of at most 64 characters per dialect; each value nested at most 8 deep and at most 16 KiB as JSON; every string one without NUL or other control characters (tabs and line breaks allowed) |
//!
//! "One line" means no control character at all (Unicode category Cc: NUL, escape, line
//! breaks, …): PostgreSQL cannot keep a NUL in text, and a name with a line break or an escape
//! sequence is never meant.

use serde_json::Value;

use crate::Profile;

/// How a text value may be shaped: its length in characters and which controls it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    pub max_chars: usize,
    /// Tabs and line breaks allowed (bio, free text); never any other control character.
    pub multiline: bool,
}

const fn line(max_chars: usize) -> TextLimit {
    TextLimit {
        max_chars,
        multiline: false,
    }
}

/// First name, last name, title, team name.
pub const NAME: TextLimit = line(255);
/// The display name: room for a first and a last name joined by a space.
pub const DISPLAY_NAME: TextLimit = line(511);
/// Usernames (Rocket.Chat's own limit is lower; derived usernames stay below this).
pub const USERNAME: TextLimit = line(120);
/// Phone numbers.
pub const PHONE: TextLimit = line(64);
/// Phone country codes ("+1").
pub const PHONE_COUNTRY_CODE: TextLimit = line(16);
/// BCP 47 language tags.
pub const LANGUAGE: TextLimit = line(35);
/// Date-time display patterns.
pub const DATETIME_FORMAT: TextLimit = line(64);
/// Avatar URLs.
pub const URL: TextLimit = line(2048);
/// Free text (bio).
pub const BIO: TextLimit = TextLimit {
    max_chars: 4096,
    multiline: true,
};
/// Free text inside free-form JSON (extension strings).
pub const FREE_TEXT: TextLimit = TextLimit {
    max_chars: FREE_FORM_BYTES,
    multiline: true,
};
/// Names of flags and of extension fields.
pub const KEY: TextLimit = line(64);
/// Teams per agent.
pub const MAX_TEAMS: usize = 100;
/// Flags per set, and extension fields per dialect.
pub const MAX_KEYS: usize = 64;
/// How deep a free-form JSON value may nest (a scalar is 0, `[1]` is 1).
pub const FREE_FORM_DEPTH: usize = 8;
/// How large a free-form JSON value may be, serialised.
pub const FREE_FORM_BYTES: usize = 16 * 1024;

/// Why a text value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
    #[error("contains a control character")]
    Control,
}

/// Check a text value against its limit.
pub fn check_text(value: &str, limit: TextLimit) -> Result<(), TextProblem> {
    let allowed = |c: char| limit.multiline && matches!(c, '\t' | '\n' | '\r');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextProblem::Control);
    }
    // Counting stops at the limit: a megabyte of text is not walked to the end.
    if value.chars().nth(limit.max_chars).is_some() {
        return Err(TextProblem::TooLong {
            max: limit.max_chars,
        });
    }
    Ok(())
}

/// Why a free-form JSON value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonProblem {
    #[error("nests deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("holds a text that {0}")]
    Text(TextProblem),
    #[error("holds more than {max} fields")]
    TooManyFields { max: usize },
}

/// Check a free-form JSON value: depth, size and the characters of every string and key.
/// The walk keeps its own stack, so no input can exhaust the thread's.
pub fn check_json(value: &Value) -> Result<(), JsonProblem> {
    let mut bytes = 0usize;
    let mut pending = vec![(value, 0usize)];
    while let Some((v, depth)) = pending.pop() {
        if depth > FREE_FORM_DEPTH {
            return Err(JsonProblem::TooDeep {
                max: FREE_FORM_DEPTH,
            });
        }
        // Each value's own text, approximately as serialised: the total decides the size.
        bytes += match v {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => s.len() + 2,
            Value::Array(items) => items.len() + 2,
            Value::Object(fields) => fields.keys().map(|k| k.len() + 4).sum::<usize>() + 2,
        };
        if bytes > FREE_FORM_BYTES {
            return Err(JsonProblem::TooLarge {
                max: FREE_FORM_BYTES,
            });
        }
        match v {
            Value::String(s) => check_text(s, FREE_TEXT).map_err(JsonProblem::Text)?,
            Value::Array(items) => pending.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(fields) => {
                for (key, item) in fields {
                    check_text(key, FREE_TEXT).map_err(JsonProblem::Text)?;
                    pending.push((item, depth + 1));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

/// A value the limits refuse: the canonical field (`first_name`, `teams`,
/// `extensions.comm100.shiftIds`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct Refusal {
    pub field: String,
    pub problem: String,
}

impl Refusal {
    fn new(field: impl Into<String>, problem: impl ToString) -> Self {
        Refusal {
            field: field.into(),
            problem: problem.to_string(),
        }
    }
}

type Text = fn(&Profile) -> Option<&str>;

/// Every text field of a profile, its canonical name and its limit: one row per field.
const TEXTS: [(&str, Text, TextLimit); 14] = [
    ("email", |p| Some(&p.email), line(254)),
    ("first_name", |p| Some(&p.first_name), NAME),
    ("last_name", |p| Some(&p.last_name), NAME),
    ("display_name", |p| Some(&p.display_name), DISPLAY_NAME),
    ("username", |p| p.username.as_deref(), USERNAME),
    ("phone", |p| p.phone.as_deref(), PHONE),
    (
        "phone_country_code",
        |p| p.phone_country_code.as_deref(),
        PHONE_COUNTRY_CODE,
    ),
    ("title", |p| p.title.as_deref(), NAME),
    ("bio", |p| p.bio.as_deref(), BIO),
    ("avatar_url", |p| p.avatar_url.as_deref(), URL),
    ("language", |p| p.language.as_deref(), LANGUAGE),
    (
        "datetime_format",
        |p| p.datetime_format.as_deref(),
        DATETIME_FORMAT,
    ),
    (
        "time_zone",
        |p| p.time_zone.as_ref().map(|z| z.as_str()),
        NAME,
    ),
    ("external_id", |p| p.external_id.as_deref(), NAME),
];

fn check_flags(field: &str, flags: &crate::Flags) -> Result<(), Refusal> {
    if flags.len() > MAX_KEYS {
        return Err(Refusal::new(
            field,
            format!("has more than {MAX_KEYS} names"),
        ));
    }
    for name in flags.keys() {
        check_text(name, KEY).map_err(|p| Refusal::new(field, format!("has a name that {p}")))?;
    }
    Ok(())
}

impl Profile {
    /// Check every value against the limits above (required fields are the faces' business):
    /// a profile that passes, every store keeps and reads back unchanged.
    pub fn check_limits(&self) -> Result<(), Refusal> {
        for (field, value, limit) in TEXTS {
            if let Some(text) = value(self) {
                check_text(text, limit).map_err(|p| Refusal::new(field, p))?;
            }
        }
        if self.email.len() > crate::email::MAX_EMAIL_BYTES {
            return Err(Refusal::new(
                "email",
                format!("is longer than {} bytes", crate::email::MAX_EMAIL_BYTES),
            ));
        }
        if self.teams.len() > MAX_TEAMS {
            return Err(Refusal::new(
                "teams",
                format!("has more than {MAX_TEAMS} teams"),
            ));
        }
        for team in &self.teams {
            check_text(team, NAME)
                .map_err(|p| Refusal::new("teams", format!("has a team name that {p}")))?;
        }
        check_flags("permissions", &self.permissions)?;
        check_flags("notifications", &self.notifications)?;
        self.extensions.check_limits()
    }
}

impl crate::Extensions {
    /// Every dialect's fields within the limits (names, count, and each value as free-form JSON).
    pub fn check_limits(&self) -> Result<(), Refusal> {
        for (dialect, fields) in self.iter() {
            let at = format!("extensions.{dialect}");
            check_text(dialect, KEY).map_err(|p| Refusal::new("extensions", p))?;
            if fields.len() > MAX_KEYS {
                return Err(Refusal::new(at, format!("has more than {MAX_KEYS} fields")));
            }
            for (name, value) in fields {
                check_text(name, KEY).map_err(|p| Refusal::new(&at, p))?;
                check_json(value).map_err(|p| Refusal::new(format!("{at}.{name}"), p))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!(1), |inner, _| json!([inner]))
    }

    #[test]
    fn text_limits_count_characters_and_refuse_controls() {
        let max = "é".repeat(255);
        assert_eq!(check_text(&max, NAME), Ok(()));
        assert_eq!(
            check_text(&format!("{max}é"), NAME),
            Err(TextProblem::TooLong { max: 255 })
        );
        for bad in ["a\u{0}b", "a\nb", "\u{1b}[31m", "a\u{7f}"] {
            assert_eq!(check_text(bad, NAME), Err(TextProblem::Control), "{bad:?}");
        }
        assert_eq!(check_text("line one\r\n\tline two", BIO), Ok(()));
        assert_eq!(check_text("nul\u{0}", BIO), Err(TextProblem::Control));
    }

    #[test]
    fn json_depth_size_and_strings_are_bounded() {
        assert_eq!(check_json(&nested(FREE_FORM_DEPTH)), Ok(()));
        assert_eq!(
            check_json(&nested(FREE_FORM_DEPTH + 1)),
            Err(JsonProblem::TooDeep {
                max: FREE_FORM_DEPTH
            })
        );
        // The depth that broke reading back (124) is refused without recursion.
        assert!(check_json(&nested(124)).is_err());
        assert!(matches!(
            check_json(&json!("x".repeat(FREE_FORM_BYTES))),
            Err(JsonProblem::TooLarge { .. })
        ));
        assert!(check_json(&json!({"k": "x".repeat(FREE_FORM_BYTES - 100)})).is_ok());
        assert!(matches!(
            check_json(&json!({"a\u{0}": 1})),
            Err(JsonProblem::Text(TextProblem::Control))
        ));
        assert!(matches!(
            check_json(&json!([["nul \u{0} deep"]])),
            Err(JsonProblem::Text(TextProblem::Control))
        ));
    }

    #[test]
    fn a_profile_names_the_field_it_refuses() {
        let ok = Profile {
            email: "a@b.co".into(),
            first_name: "x".repeat(255),
            display_name: "y".repeat(511),
            bio: Some("two\nlines".into()),
            ..Profile::default()
        };
        assert_eq!(ok.check_limits(), Ok(()));
        let long = Profile {
            last_name: "x".repeat(256),
            ..ok.clone()
        };
        assert_eq!(
            long.check_limits().map_err(|r| r.field),
            Err("last_name".into())
        );
        let nul = Profile {
            title: Some("a\u{0}".into()),
            ..ok.clone()
        };
        assert_eq!(
            nul.check_limits().map_err(|r| r.to_string()),
            Err("title contains a control character".into())
        );
        let mut deep = ok.clone();
        deep.extensions.merge(
            "comm100",
            [("shiftIds".to_owned(), nested(124))].into_iter().collect(),
        );
        assert_eq!(
            deep.check_limits().map_err(|r| r.field),
            Err("extensions.comm100.shiftIds".into())
        );
        let teams = Profile {
            teams: vec!["t".into(); MAX_TEAMS + 1],
            ..ok
        };
        assert_eq!(
            teams.check_limits().map_err(|r| r.field),
            Err("teams".into())
        );
    }
}
