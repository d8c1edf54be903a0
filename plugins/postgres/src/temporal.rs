//! PostgreSQL's binary date/time values ⇄ the contract's canonical ISO text.
//!
//! Dates are days and timestamps microseconds since 2000-01-01; the civil-date arithmetic is
//! `myrmex_plugin::canonical`'s.

/// Days from 1970-01-01 to 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_DAY: i64 = 86_400_000_000;

use myrmex_plugin::canonical::{civil_from_days, push_digits, push_time};

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` for a year from 1 to 9999, without `format!` (this runs for
/// every timestamp of a large result).
fn fast_timestamp(days_since_unix: i64, micros: i64, tz_suffix: &str) -> Option<String> {
    let (y, m, d) = civil_from_days(days_since_unix);
    if !(1..=9999).contains(&y) {
        return None;
    }
    let mut s = String::with_capacity(32);
    push_digits(&mut s, y as u64, 4);
    s.push('-');
    push_digits(&mut s, u64::from(m), 2);
    s.push('-');
    push_digits(&mut s, u64::from(d), 2);
    s.push(' ');
    push_time(&mut s, micros);
    s.push_str(tz_suffix);
    Some(s)
}

fn format_date(days_since_unix: i64) -> String {
    let (y, m, d) = civil_from_days(days_since_unix);
    if y <= 0 {
        // ISO year 0 is 1 BC, which PostgreSQL writes with a BC suffix.
        format!("{:04}-{m:02}-{d:02} BC", 1 - y)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// A `date` value (days since 2000-01-01).
pub fn date(pg_days: i32) -> String {
    match pg_days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        d => format_date(i64::from(d) + PG_EPOCH_DAYS),
    }
}

/// A time of day in microseconds.
pub fn time(micros: i64) -> String {
    myrmex_plugin::canonical::format_time(micros)
}

/// A `timestamp` value (microseconds since 2000-01-01 00:00:00).
pub fn timestamp(pg_micros: i64) -> String {
    match pg_micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        t => {
            let days = t.div_euclid(MICROS_PER_DAY);
            let rest = t.rem_euclid(MICROS_PER_DAY);
            if let Some(s) = fast_timestamp(days + PG_EPOCH_DAYS, rest, "") {
                return s;
            }
            let date = format_date(days + PG_EPOCH_DAYS);
            match date.strip_suffix(" BC") {
                Some(d) => format!("{d} {} BC", time(rest)),
                None => format!("{date} {}", time(rest)),
            }
        }
    }
}

/// A `timestamptz` value, written in UTC with an explicit `+00:00`.
pub fn timestamptz(pg_micros: i64) -> String {
    match pg_micros {
        i64::MAX | i64::MIN => timestamp(pg_micros),
        t => {
            let (days, rest) = (t.div_euclid(MICROS_PER_DAY), t.rem_euclid(MICROS_PER_DAY));
            if let Some(s) = fast_timestamp(days + PG_EPOCH_DAYS, rest, "+00:00") {
                return s;
            }
            let ts = timestamp(t);
            match ts.strip_suffix(" BC") {
                Some(base) => format!("{base}+00:00 BC"),
                None => format!("{ts}+00:00"),
            }
        }
    }
}

/// A `timetz` value: microseconds plus the zone offset in seconds *west* of UTC.
pub fn timetz(micros: i64, west_secs: i32) -> String {
    let east = -west_secs;
    let sign = if east < 0 { '-' } else { '+' };
    let a = east.unsigned_abs();
    format!("{}{sign}{:02}:{:02}", time(micros), a / 3600, (a / 60) % 60)
}

/// An `interval` in ISO 8601 (`P1Y2M3DT4H5M6.5S`), which PostgreSQL reads back unchanged.
pub fn interval(micros: i64, days: i32, months: i32) -> String {
    let mut s = String::from("P");
    let (y, mo) = (months / 12, months % 12);
    if y != 0 {
        s.push_str(&format!("{y}Y"));
    }
    if mo != 0 {
        s.push_str(&format!("{mo}M"));
    }
    if days != 0 {
        s.push_str(&format!("{days}D"));
    }
    if micros != 0 {
        s.push('T');
        let neg = micros < 0;
        let m = micros.unsigned_abs();
        let (h, min, sec, frac) = (
            m / 3_600_000_000,
            (m / 60_000_000) % 60,
            (m / 1_000_000) % 60,
            m % 1_000_000,
        );
        let sign = if neg { "-" } else { "" };
        if h != 0 {
            s.push_str(&format!("{sign}{h}H"));
        }
        if min != 0 {
            s.push_str(&format!("{sign}{min}M"));
        }
        if sec != 0 || frac != 0 {
            let mut f = format!("{sign}{sec}");
            if frac != 0 {
                f.push_str(&format!(".{frac:06}"));
                while f.ends_with('0') {
                    f.pop();
                }
            }
            s.push_str(&f);
            s.push('S');
        }
    }
    if s == "P" {
        s.push_str("T0S");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_around_the_epochs() {
        assert_eq!(date(0), "2000-01-01");
        assert_eq!(date(-10_957), "1970-01-01");
        assert_eq!(date(-36_524), "1900-01-01");
        assert_eq!(date(14_669), "2040-02-29");
        assert_eq!(date(i32::MAX), "infinity");
        assert_eq!(date(-730_485), "0001-01-01 BC");
    }

    #[test]
    fn times_and_timestamps_keep_microseconds() {
        assert_eq!(time(45_296_000_001), "12:34:56.000001");
        assert_eq!(time(0), "00:00:00");
        assert_eq!(timestamp(-1), "1999-12-31 23:59:59.999999");
        assert_eq!(timestamptz(0), "2000-01-01 00:00:00+00:00");
        assert_eq!(timetz(3_600_000_000, -19_800), "01:00:00+05:30");
    }

    #[test]
    fn intervals_are_iso_8601() {
        assert_eq!(interval(14_706_000_007, 3, 14), "P1Y2M3DT4H5M6.000007S");
        assert_eq!(interval(0, 0, 0), "PT0S");
        assert_eq!(interval(-90_000_000, 0, 0), "PT-1M-30S");
    }
}
