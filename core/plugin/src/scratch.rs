//! Names of scratch databases: unique per process and instant, and recognisable, so that a
//! driver drops only what it made.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A suffix no other scratch database made now has: `<pid><sep><nanos><sep><n>`.
///
/// ```
/// let s = myrmex_plugin::scratch::unique_suffix('_');
/// assert!(myrmex_plugin::scratch::is_generated_suffix(&s, '_'));
/// assert_ne!(s, myrmex_plugin::scratch::unique_suffix('_'));
/// ```
pub fn unique_suffix(sep: char) -> String {
    static MADE: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    format!("{}{sep}{nanos}{sep}{n}", std::process::id())
}

/// True when `suffix` has the shape [`unique_suffix`] writes: three numbers joined by `sep`.
/// A name with a scratch prefix but another ending (`app_` + `prod`) is not a scratch one.
///
/// ```
/// use myrmex_plugin::scratch::is_generated_suffix;
/// assert!(is_generated_suffix("12_345_0", '_'));
/// assert!(!is_generated_suffix("prod", '_'));
/// assert!(!is_generated_suffix("12_345", '_'));
/// ```
pub fn is_generated_suffix(suffix: &str, sep: char) -> bool {
    let parts: Vec<&str> = suffix.split(sep).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}
