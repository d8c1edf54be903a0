//! Times as the server log writes them (`2026-12-03 10:00:00.123 UTC`, or seconds since
//! the epoch) and as the user gives them (RFC 3339), compared as instants.

/// Microseconds in a second.
const MICROS: i64 = 1_000_000;

/// A time read from the server log: the wall-clock reading and the zone it was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTime {
    /// The wall-clock reading as microseconds since 1970-01-01 00:00 of the same clock.
    pub local: i64,
    /// The fraction of a second as written (`.123`), kept for display.
    pub fraction: String,
    /// The zone as written: an abbreviation (`UTC`, `CET`) or an offset (`+03`, `-0530`).
    pub zone: String,
}

impl LogTime {
    /// Reads `YYYY-MM-DD HH:MM:SS[.fff] ZONE` (`%m`, `%t`, csvlog) or `SECONDS[.fff]` since the
    /// epoch (`%n`, in UTC).
    pub fn parse(s: &str) -> Option<LogTime> {
        let s = s.trim();
        if let Some((date, rest)) = s.split_once(' ') {
            let (clock, zone) = rest.split_once(' ')?;
            let zone = zone.trim();
            if zone.is_empty() || zone.contains(' ') {
                return None;
            }
            let (clock, fraction) = match clock.split_once('.') {
                Some((c, f)) => (c, format!(".{f}")),
                None => (clock, String::new()),
            };
            let local = civil(date, clock)? + fraction_micros(&fraction)?;
            return Some(LogTime {
                local,
                fraction,
                zone: zone.to_string(),
            });
        }
        let (secs, fraction) = match s.split_once('.') {
            Some((s, f)) => (s, format!(".{f}")),
            None => (s, String::new()),
        };
        if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let secs: i64 = secs.parse().ok()?;
        Some(LogTime {
            local: secs.checked_mul(MICROS)? + fraction_micros(&fraction)?,
            fraction,
            zone: "UTC".into(),
        })
    }

    /// The instant, as microseconds since the epoch, for a zone `offset` seconds east of UTC.
    pub fn instant(&self, offset: i32) -> i64 {
        self.local - i64::from(offset) * MICROS
    }

    /// The time in RFC 3339 (`2026-12-03T10:00:00.123Z`, `…+01:00`), in its own zone.
    pub fn rfc3339(&self, offset: i32) -> String {
        let secs = self.local.div_euclid(MICROS);
        let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = from_days(days);
        let zone = if offset == 0 {
            "Z".to_string()
        } else {
            let sign = if offset < 0 { '-' } else { '+' };
            let o = offset.unsigned_abs();
            format!("{sign}{:02}:{:02}", o / 3600, o % 3600 / 60)
        };
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}{zone}",
            day_secs / 3600,
            day_secs % 3600 / 60,
            day_secs % 60,
            self.fraction
        )
    }
}

/// The offset east of UTC, in seconds, of a zone the text itself fixes: `UTC`, `GMT`, `UT`,
/// `Z`, or a numeric offset (`+03`, `-0530`, `+05:30`). `None` for an abbreviation only the
/// server can read (`CET`).
pub fn fixed_offset(zone: &str) -> Option<i32> {
    if ["UTC", "GMT", "UT", "Z", "Etc/UTC"]
        .iter()
        .any(|z| zone.eq_ignore_ascii_case(z))
    {
        return Some(0);
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m, s) = match digits.len() {
        2 => (&digits[..2], "0", "0"),
        4 => (&digits[..2], &digits[2..4], "0"),
        6 => (&digits[..2], &digits[2..4], &digits[4..6]),
        _ => return None,
    };
    let (h, m, s): (i32, i32, i32) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if h > 15 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// Reads an RFC 3339 time (`2026-12-03T10:00:00Z`, `2026-12-03 11:00:00.5+01:00`) as
/// microseconds since the epoch; a date alone is its midnight in UTC.
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{s}` is not an RFC 3339 time (like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00+01:00)"
        )
    };
    let s = s.trim();
    if s.len() == 10 {
        return civil(s, "00:00:00").ok_or_else(bad);
    }
    let (date, rest) = (s.get(..10).ok_or_else(bad)?, s.get(11..).ok_or_else(bad)?);
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return Err(bad());
    }
    let split = rest
        .find(['Z', 'z', '+', '-'])
        .ok_or_else(|| format!("{}: it needs a zone (Z or +HH:MM)", bad()))?;
    let (clock, zone) = rest.split_at(split);
    let zone = if zone.eq_ignore_ascii_case("z") {
        0
    } else if zone.len() == 6 && zone.as_bytes()[3] == b':' {
        fixed_offset(zone).ok_or_else(bad)?
    } else {
        return Err(bad());
    };
    let (clock, fraction) = match clock.split_once('.') {
        Some((c, f)) => (c, format!(".{f}")),
        None => (clock, String::new()),
    };
    let local = civil(date, clock).ok_or_else(bad)? + fraction_micros(&fraction).ok_or_else(bad)?;
    Ok(local - i64::from(zone) * MICROS)
}

/// `.fff` (up to microseconds; further digits are cut) as microseconds; empty is 0.
fn fraction_micros(fraction: &str) -> Option<i64> {
    let Some(digits) = fraction.strip_prefix('.') else {
        return fraction.is_empty().then_some(0);
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut six: String = digits.chars().take(6).collect();
    while six.len() < 6 {
        six.push('0');
    }
    six.parse().ok()
}

/// `YYYY-MM-DD` and `HH:MM:SS` as seconds since the epoch (of the same clock), in
/// microseconds.
fn civil(date: &str, clock: &str) -> Option<i64> {
    let num = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    let mut c = clock.split(':');
    let (h, min, sec) = (num(c.next()?, 2)?, num(c.next()?, 2)?, num(c.next()?, 2)?);
    if d.next().is_some() || c.next().is_some() {
        return None;
    }
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some((days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec) * MICROS)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
fn from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csvlog_times_read_and_show_as_rfc3339() {
        let t = LogTime::parse("2026-12-03 10:00:00.123 UTC").unwrap();
        assert_eq!(t.zone, "UTC");
        assert_eq!(t.rfc3339(0), "2026-12-03T10:00:00.123Z");
        assert_eq!(
            t.instant(0),
            parse_rfc3339("2026-12-03T10:00:00.123Z").unwrap()
        );
        let t = LogTime::parse("2024-02-29 23:59:59 CET").unwrap();
        assert_eq!(t.rfc3339(3600), "2024-02-29T23:59:59+01:00");
        assert_eq!(
            t.instant(3600),
            parse_rfc3339("2024-02-29T22:59:59Z").unwrap()
        );
    }

    #[test]
    fn epoch_times_are_utc() {
        let t = LogTime::parse("1764756000.250").unwrap();
        assert_eq!(t.rfc3339(0), "2025-12-03T10:00:00.250Z");
    }

    #[test]
    fn the_epoch_and_far_dates_survive_the_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
        for day in [-800_000_i64, -1, 0, 59, 20_000, 2_000_000] {
            let (y, m, d) = from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn offsets_and_rfc3339_zones() {
        assert_eq!(fixed_offset("UTC"), Some(0));
        assert_eq!(fixed_offset("+03"), Some(3 * 3600));
        assert_eq!(fixed_offset("-0530"), Some(-(5 * 3600 + 30 * 60)));
        assert_eq!(fixed_offset("+05:45"), Some(5 * 3600 + 45 * 60));
        assert_eq!(fixed_offset("CEST"), None);
        assert_eq!(
            parse_rfc3339("2026-12-03T11:00:00+01:00").unwrap(),
            parse_rfc3339("2026-12-03 10:00:00z").unwrap()
        );
        assert_eq!(
            parse_rfc3339("2026-12-03").unwrap(),
            parse_rfc3339("2026-12-03T00:00:00Z").unwrap()
        );
        assert!(
            parse_rfc3339("2026-12-03T10:00:00.5-02:00").unwrap()
                > parse_rfc3339("2026-12-03T11:00:00Z").unwrap()
        );
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "2026-12-03T10:00:00",
            "2026-13-03T10:00:00Z",
            "yesterday",
            "2026-12-03T10:00Z",
            "",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
        for bad in [
            "2026-12-03 10:00:00",
            "2026-12-03 1:00:00 UTC",
            "12:00",
            "1.2.3",
        ] {
            assert!(LogTime::parse(bad).is_none(), "{bad}");
        }
    }
}
