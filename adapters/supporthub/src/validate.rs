//! Laravel's validation rules and messages (`required`, `string`, `max`, `email`, `min`,
//! `confirmed`, `timezone`, `boolean`), applied to a JSON object.

use agentgw_model::limits::{TextLimit, TextProblem, check_text};
use agentgw_model::{MAX_EMAIL_BYTES, TimeZone, parse_email};
use serde_json::{Map, Value};

/// Messages per field, in the order the rules ran (the first one heads the 422's `message`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Errors(Vec<(String, Vec<String>)>);

/// Whether a field must be present (create) or is checked only when present (update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Sometimes,
}

fn human(field: &str) -> String {
    field.replace('_', " ")
}

impl Errors {
    /// Record a message for a field.
    pub fn add(&mut self, field: &str, message: String) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field.to_owned(), vec![message])),
        }
    }

    /// Whether every rule passed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Laravel's headline: the first message, then "(and N more error(s))".
    pub fn message(&self) -> String {
        let mut all = self.0.iter().flat_map(|(_, m)| m.iter());
        let first = all.next().cloned().unwrap_or_default();
        match all.count() {
            0 => first,
            1 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {n} more errors)"),
        }
    }

    /// The `errors` object: field → messages.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(f, m)| (f.clone(), Value::from(m.clone())))
                .collect(),
        )
    }

    /// The fields that failed, in order.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|(f, _)| f.as_str()).collect()
    }
}

/// A string field: `required|string|max:N` (`sometimes|...` on update). Laravel turns `""` into null.
pub fn string(
    obj: &Map<String, Value>,
    field: &str,
    presence: Presence,
    max: usize,
    errors: &mut Errors,
) -> Option<String> {
    let h = human(field);
    match obj.get(field) {
        None if presence == Presence::Sometimes => None,
        None | Some(Value::Null) => {
            errors.add(field, format!("The {h} field is required."));
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.add(field, format!("The {h} field is required."));
            None
        }
        Some(Value::String(s)) => {
            let limit = TextLimit {
                max_chars: max,
                multiline: false,
            };
            match check_text(s.trim(), limit) {
                Ok(()) => Some(s.trim().to_owned()),
                Err(TextProblem::TooLong { .. }) => {
                    errors.add(
                        field,
                        format!("The {h} field must not be greater than {max} characters."),
                    );
                    None
                }
                // Laravel's words for a value its rules refuse the shape of.
                Err(TextProblem::Control) => {
                    errors.add(field, format!("The {h} field format is invalid."));
                    None
                }
            }
        }
        Some(_) => {
            errors.add(field, format!("The {h} field must be a string."));
            None
        }
    }
}

/// `required|email` (uniqueness is the store's: a conflict becomes "has already been taken").
pub fn email(
    obj: &Map<String, Value>,
    field: &str,
    presence: Presence,
    errors: &mut Errors,
) -> Option<String> {
    let value = string(obj, field, presence, MAX_EMAIL_BYTES, errors)?;
    match parse_email(&value) {
        Ok(email) => Some(email),
        Err(_) => {
            errors.add(
                field,
                format!("The {} field must be a valid email address.", human(field)),
            );
            None
        }
    }
}

/// A password's text: required and a string, of any characters (it is only ever hashed or
/// forwarded); at most 4,096 characters. Its value never appears in a message.
fn password_text(
    obj: &Map<String, Value>,
    field: &str,
    presence: Presence,
    errors: &mut Errors,
) -> Option<String> {
    let h = human(field);
    match obj.get(field) {
        None if presence == Presence::Sometimes => None,
        Some(Value::String(s)) if s.chars().count() > MAX_PASSWORD => {
            errors.add(
                field,
                format!("The {h} field must not be greater than {MAX_PASSWORD} characters."),
            );
            None
        }
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_) | Value::Null) | None => {
            errors.add(field, format!("The {h} field is required."));
            None
        }
        Some(_) => {
            errors.add(field, format!("The {h} field must be a string."));
            None
        }
    }
}

/// The longest password taken.
const MAX_PASSWORD: usize = 4096;

/// `required|string|min:N|confirmed`: `<field>_confirmation` must be equal.
pub fn password(
    obj: &Map<String, Value>,
    field: &str,
    presence: Presence,
    min: usize,
    errors: &mut Errors,
) -> Option<String> {
    let h = human(field);
    let value = password_text(obj, field, presence, errors)?;
    let mut ok = true;
    if value.chars().count() < min {
        errors.add(
            field,
            format!("The {h} field must be at least {min} characters."),
        );
        ok = false;
    }
    if obj
        .get(&format!("{field}_confirmation"))
        .and_then(Value::as_str)
        != Some(value.as_str())
    {
        errors.add(field, format!("The {h} field confirmation does not match."));
        ok = false;
    }
    ok.then_some(value)
}

/// `sometimes|timezone`: an IANA identifier.
pub fn timezone(
    obj: &Map<String, Value>,
    field: &str,
    errors: &mut Errors,
) -> Option<Option<TimeZone>> {
    match obj.get(field)? {
        Value::Null => Some(None),
        Value::String(s) => match TimeZone::parse(s.trim()) {
            Ok(tz) => Some(Some(tz)),
            Err(_) => {
                errors.add(
                    field,
                    format!("The {} field must be a valid timezone.", human(field)),
                );
                None
            }
        },
        _ => {
            errors.add(
                field,
                format!("The {} field must be a valid timezone.", human(field)),
            );
            None
        }
    }
}

/// Named booleans: every key must be one of `allowed`, every value true or false.
pub fn flags(
    obj: &Map<String, Value>,
    allowed: &[&str],
    errors: &mut Errors,
) -> agentgw_model::Flags {
    let mut out = agentgw_model::Flags::new();
    for (key, value) in obj {
        if !allowed.contains(&key.as_str()) {
            errors.add(key, format!("The {} field is prohibited.", human(key)));
            continue;
        }
        match value {
            Value::Bool(b) => {
                out.insert(key.clone(), *b);
            }
            _ => errors.add(
                key,
                format!("The {} field must be true or false.", human(key)),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn messages_read_like_laravel() {
        let mut e = Errors::default();
        let o = obj(
            json!({"last_name": "x".repeat(251), "email": "nope", "password": "123", "password_confirmation": "124"}),
        );
        assert_eq!(
            string(&o, "first_name", Presence::Required, 250, &mut e),
            None
        );
        string(&o, "last_name", Presence::Required, 250, &mut e);
        email(&o, "email", Presence::Required, &mut e);
        password(&o, "password", Presence::Required, 6, &mut e);
        assert_eq!(e.fields(), ["first_name", "last_name", "email", "password"]);
        assert_eq!(
            e.message(),
            "The first name field is required. (and 4 more errors)"
        );
        assert_eq!(
            e.to_json()["password"],
            json!([
                "The password field must be at least 6 characters.",
                "The password field confirmation does not match."
            ])
        );
        assert_eq!(
            e.to_json()["last_name"],
            json!(["The last name field must not be greater than 250 characters."])
        );
    }

    #[test]
    fn sometimes_skips_absent_but_checks_present() {
        let mut e = Errors::default();
        let o = obj(json!({"first_name": null, "timezone": "Mars/Base"}));
        string(&o, "first_name", Presence::Sometimes, 250, &mut e);
        string(&o, "last_name", Presence::Sometimes, 250, &mut e);
        timezone(&o, "timezone", &mut e);
        assert_eq!(e.fields(), ["first_name", "timezone"]);
        let ok = obj(json!({"timezone": "America/Los_Angeles"}));
        assert_eq!(
            timezone(&ok, "timezone", &mut Errors::default())
                .flatten()
                .map(|z| z.as_str().to_owned()),
            Some("America/Los_Angeles".into())
        );
    }

    #[test]
    fn flags_refuse_unknown_keys_and_non_booleans() {
        let mut e = Errors::default();
        let f = flags(
            &obj(json!({"a": true, "b": 1, "c": false})),
            &["a", "b"],
            &mut e,
        );
        assert_eq!(f, [("a".to_owned(), true)].into());
        assert_eq!(e.fields(), ["b", "c"]);
    }
}
