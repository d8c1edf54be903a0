//! The canonical text forms of [`crate::Value`]'s temporal variants, with the civil-calendar
//! arithmetic every driver needs to convert them (Howard Hinnant's algorithms, exact for any
//! year an engine supports).

/// (year, month, day) of a day count since 1970-01-01.
///
/// ```
/// assert_eq!(myrmex_plugin::canonical::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(myrmex_plugin::canonical::civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date.
///
/// ```
/// assert_eq!(myrmex_plugin::canonical::days_from_civil(2000, 1, 1), 10_957);
/// ```
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A parsed timestamp: days since 1970-01-01, microseconds into the day, and the zone offset
/// in seconds east of UTC when one was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Days since 1970-01-01.
    pub days: i64,
    /// Microseconds since midnight.
    pub micros: i64,
    /// Offset east of UTC, in seconds, if the text had one (`Z` is 0).
    pub offset_secs: Option<i32>,
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]` (a date alone is midnight).
///
/// ```
/// use myrmex_plugin::canonical::parse_timestamp;
/// let t = parse_timestamp("1969-07-20 20:17:40.5+02:00").unwrap();
/// assert_eq!((t.days, t.micros, t.offset_secs), (-165, 73_060_500_000, Some(7200)));
/// assert!(parse_timestamp("yesterday").is_none());
/// assert!(parse_timestamp("2024-01-0\u{10000}").is_none());
/// ```
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    // A timestamp is ASCII; checking first keeps the byte slicing below on char boundaries.
    if !t.is_ascii() {
        return None;
    }
    let (date, rest) = if t.len() > 10 {
        (&t[..10], &t[10..])
    } else {
        (t, "")
    };
    let mut parts = date.split('-');
    let (y, m, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m as u32, d as u32);
    let rest = rest.strip_prefix([' ', 'T']).unwrap_or(rest);
    if rest.is_empty() {
        return Some(Timestamp {
            days,
            micros: 0,
            offset_secs: None,
        });
    }
    let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let mut c = clock.split(':');
    let h = num(c.next()?)?;
    let mi = num(c.next()?)?;
    let (s, frac) = match c.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) if f.len() <= 6 => (num(s)?, num(&format!("{f:0<6}"))?),
            Some(_) => return None,
            None => (num(sec)?, 0),
        },
        None => (0, 0),
    };
    if h > 24 || mi > 59 || s > 60 {
        return None;
    }
    let micros = ((h * 60 + mi) * 60 + s) * 1_000_000 + frac;
    let offset_secs = match zone {
        "" => None,
        "Z" => Some(0),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = &z[1..];
            let (oh, om) = match body.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if body.len() == 4 => (num(&body[..2])?, num(&body[2..])?),
                None => (num(body)?, 0),
            };
            Some(sign * (oh * 3600 + om * 60) as i32)
        }
    };
    Some(Timestamp {
        days,
        micros,
        offset_secs,
    })
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Appends `n` in decimal, zero-padded to at least `width` digits, without `format!`
/// (drivers call this for every temporal value of a large result).
///
/// ```
/// let mut s = String::new();
/// myrmex_plugin::canonical::push_digits(&mut s, 7, 3);
/// myrmex_plugin::canonical::push_digits(&mut s, 1234, 2);
/// assert_eq!(s, "0071234");
/// ```
pub fn push_digits(s: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        s.push('0');
    }
    for b in &buf[i..] {
        s.push(char::from(*b));
    }
}

/// Appends `HH:MM:SS[.ffffff]` for a non-negative number of microseconds (trailing zeros of
/// the fraction dropped; hours are not wrapped at 24).
pub fn push_time(s: &mut String, micros: i64) {
    let m = micros.unsigned_abs();
    let secs = m / 1_000_000;
    push_digits(s, secs / 3600, 2);
    s.push(':');
    push_digits(s, (secs / 60) % 60, 2);
    s.push(':');
    push_digits(s, secs % 60, 2);
    let frac = m % 1_000_000;
    if frac != 0 {
        s.push('.');
        push_digits(s, frac, 6);
        while s.ends_with('0') {
            s.pop();
        }
    }
}

/// `HH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped).
///
/// ```
/// assert_eq!(myrmex_plugin::canonical::format_time(45_296_000_001), "12:34:56.000001");
/// assert_eq!(myrmex_plugin::canonical::format_time(0), "00:00:00");
/// ```
pub fn format_time(micros: i64) -> String {
    let mut s = String::with_capacity(15);
    push_time(&mut s, micros);
    s
}

/// The instant of a timestamp with an offset, in UTC, as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
///
/// ```
/// use myrmex_plugin::canonical::{parse_timestamp, to_utc};
/// assert_eq!(to_utc(&parse_timestamp("2024-01-01 01:30:00+02:00").unwrap()), "2023-12-31 23:30:00");
/// ```
pub fn to_utc(t: &Timestamp) -> String {
    const DAY: i64 = 86_400_000_000;
    let total = t.days * DAY + t.micros - i64::from(t.offset_secs.unwrap_or(0)) * 1_000_000;
    format!(
        "{} {}",
        format_date(total.div_euclid(DAY)),
        format_time(total.rem_euclid(DAY))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_over_a_wide_range() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let t = parse_timestamp("2038-01-19T03:14:08.000001Z").unwrap();
        assert_eq!(to_utc(&t), "2038-01-19 03:14:08.000001");
        assert_eq!(
            parse_timestamp("2020-02-29 12:00-0530")
                .unwrap()
                .offset_secs,
            Some(-19_800)
        );
        assert!(parse_timestamp("2020-13-01").is_none());
    }
}
