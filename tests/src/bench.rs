//! What the whole-process benchmarks share: timing a shell pipeline with the peak RSS of its
//! largest process, running `psql`, and printing one comparison row.

use std::process::{Command, Stdio};
use std::time::Instant;

/// Wall time in seconds and peak RSS in MiB.
pub type Measure = (f64, f64);

/// Runs `sh -c script` with stdout to /dev/null; `TIME ` before a command of the pipeline
/// wraps it in `/usr/bin/time`. Returns the wall time and the largest peak RSS reported.
pub fn measure(script: &str) -> Measure {
    let rss_file = std::env::temp_dir().join(format!("myrmex-bench-rss-{}", std::process::id()));
    let _ = std::fs::remove_file(&rss_file);
    let wrapped = script.replace(
        "TIME ",
        &format!("/usr/bin/time -a -f %M -o {} ", rss_file.display()),
    );
    let start = Instant::now();
    let status = Command::new("sh")
        .args(["-c", &wrapped])
        .stdout(Stdio::null())
        .status()
        .expect("sh");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "{script} failed");
    let kib = std::fs::read_to_string(&rss_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .fold(0.0, f64::max);
    (secs, kib / 1024.0)
}

/// Runs one SQL string with psql; panics naming it when it fails.
pub fn psql(url: &str, sql: &str) {
    let ok = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .status()
        .expect("psql")
        .success();
    assert!(ok, "psql: {sql}");
}

/// Prints one Markdown row: ours, the peer's, and the peer's time over ours.
pub fn row(what: &str, ours: Measure, theirs: Measure, peer: &str) {
    println!(
        "| {what} | {:.2} s, {:.0} MiB | {peer}: {:.2} s, {:.0} MiB | {:.2}× |",
        ours.0,
        ours.1,
        theirs.0,
        theirs.1,
        theirs.0 / ours.0
    );
}

/// Total size in MiB of the files under `path` (a file or a directory).
pub fn size_mib(path: &std::path::Path) -> f64 {
    fn walk(p: &std::path::Path) -> u64 {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|d| d.flatten().map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    walk(path) as f64 / (1024.0 * 1024.0)
}

/// The two server URLs of the tests' environment; `None` (and a line saying so) when either
/// is unset.
pub fn servers() -> Option<(String, String)> {
    match (
        std::env::var("MYRMEX_TEST_POSTGRES_URL"),
        std::env::var("MYRMEX_TEST_MYSQL_URL"),
    ) {
        (Ok(pg), Ok(my)) => Some((pg, my)),
        _ => {
            println!("skipped: MYRMEX_TEST_POSTGRES_URL or MYRMEX_TEST_MYSQL_URL unset");
            None
        }
    }
}

/// A number from the environment variable `var`, or `default`.
pub fn env_number(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
