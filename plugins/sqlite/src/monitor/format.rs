//! How names, sizes, counts and durations are written in advice.

use rusqlite::ffi;
use std::time::Duration;

/// `name` as it can be written in a statement: as is when it is a plain name that is not a
/// keyword, else in double quotes.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !is_keyword(name) {
        name.to_string()
    } else {
        myrmex_plugin::sql::quote_ident(name, '"')
    }
}

/// True when SQLite reads `word` as a keyword.
fn is_keyword(word: &str) -> bool {
    let Ok(len) = std::os::raw::c_int::try_from(word.len()) else {
        return false;
    };
    // SAFETY: `sqlite3_keyword_check` reads exactly `len` bytes from the pointer, and they
    // lie inside `word`, which outlives the call; it keeps no pointer.
    unsafe { ffi::sqlite3_keyword_check(word.as_ptr().cast(), len) != 0 }
}

/// A size in bytes for people: `512 B`, `8.0 KiB`, `1.5 MiB`, `2.3 GiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n.abs() < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if value.abs() < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

/// A count with thousands separators: `300,000`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A duration in milliseconds, three decimals: `41.250 ms`.
pub fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(ident("orders"), "orders");
        assert_eq!(ident("customer_id"), "customer_id");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("Group"), "\"Group\"");
        assert_eq!(ident("my table"), "\"my table\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident(""), "\"\"");
    }

    #[test]
    fn sizes_counts_and_durations() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(8192), "8.0 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(300_000), "300,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
        assert_eq!(millis(Duration::from_micros(41_250)), "41.250 ms");
    }
}
