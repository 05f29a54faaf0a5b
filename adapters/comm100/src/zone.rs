//! Windows time-zone ids (comm100) ⇄ IANA names (canonical), through the CLDR windowsZones
//! table that the `localzone` crate ships (feature `win_zones`); never a hand-written list.

use agentgw_model::TimeZone;

/// The IANA zone of a Windows zone id ("Pacific Standard Time" → America/Los_Angeles), using
/// CLDR's territory "001" (the zone's principal city); `None` for an unknown id.
pub fn to_iana(windows: &str) -> Option<TimeZone> {
    let iana = localzone::win_zone_to_iana(windows, Some("001"))
        .or_else(|| localzone::win_zone_to_iana(windows, None))?;
    TimeZone::parse(iana).ok()
}

/// The Windows zone id of an IANA zone; UTC when CLDR has no Windows zone for it.
pub fn to_windows(zone: &TimeZone) -> &'static str {
    localzone::iana_to_win_zone(zone.as_str()).map_or("UTC", |(windows, _)| windows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways() {
        for (windows, iana) in [
            ("Pacific Standard Time", "America/Los_Angeles"),
            ("Hawaiian Standard Time", "Pacific/Honolulu"),
            ("UTC", "Etc/UTC"),
            ("China Standard Time", "Asia/Shanghai"),
        ] {
            let zone = to_iana(windows).expect(windows);
            assert_eq!(zone.as_str(), iana);
            assert_eq!(to_windows(&zone), windows);
        }
        assert!(to_iana("Mars Standard Time").is_none());
        assert!(
            to_iana("America/Los_Angeles").is_none(),
            "IANA names are not Windows ids"
        );
        let honolulu = TimeZone::parse("Pacific/Honolulu").expect("iana");
        assert_eq!(to_windows(&honolulu), "Hawaiian Standard Time");
    }
}
