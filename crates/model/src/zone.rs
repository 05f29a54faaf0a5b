//! The canonical time-zone vocabulary: IANA names, validated against the tz database.

use serde::{Deserialize, Deserializer, Serialize};

/// An IANA time-zone name such as `America/Los_Angeles`, known to the tz database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TimeZone(String);

/// The name is not an IANA time zone.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown time zone `{0}`")]
pub struct TimeZoneError(pub String);

impl TimeZone {
    /// Validate an IANA name (exact spelling, as PHP's `timezone_identifiers_list` has it).
    pub fn parse(name: &str) -> Result<Self, TimeZoneError> {
        name.parse::<chrono_tz::Tz>()
            .map(|tz| TimeZone(tz.name().to_owned()))
            .map_err(|_| TimeZoneError(name.to_owned()))
    }

    /// The IANA name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_iana_and_refuses_windows_names() {
        assert_eq!(
            TimeZone::parse("America/Los_Angeles").map(|z| z.0),
            Ok("America/Los_Angeles".into())
        );
        assert!(TimeZone::parse("Pacific Standard Time").is_err());
        assert!(TimeZone::parse("").is_err());
    }
}
