//! Time conventions: stored in UTC with microsecond precision.

use time::{OffsetDateTime, UtcOffset};

/// The current instant in UTC, truncated to whole microseconds so that it round-trips
/// exactly through both databases.
pub fn now() -> OffsetDateTime {
    truncate_to_micros(OffsetDateTime::now_utc())
}

/// Truncates to whole microseconds and normalizes to UTC.
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let micros = t.microsecond();
    t.replace_nanosecond(micros * 1_000)
        .expect("a whole number of microseconds is a valid nanosecond value")
}

/// The one textual form of an instant used wherever text must be stable (the trail's
/// canonical serialization, SQLite storage): `YYYY-MM-DDTHH:MM:SS.ffffffZ`, fixed width so
/// that text order is time order.
pub fn format_canonical(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses the canonical form (and, leniently, any RFC 3339 instant).
pub fn parse_canonical(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)?;
    Ok(truncate_to_micros(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_is_fixed_width_and_round_trips() {
        let t = now();
        let s = format_canonical(t);
        assert_eq!(s.len(), 27, "{s}");
        assert_eq!(parse_canonical(&s).unwrap(), t);
        let whole = t.replace_nanosecond(0).unwrap();
        assert_eq!(format_canonical(whole).len(), 27);
        assert!(format_canonical(whole) <= s);
    }
}
