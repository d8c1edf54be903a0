//! Streaming 1,000,000 rows × 5 columns from PostgreSQL to /dev/null: `myrmex -e` with
//! `copy_out(…, "-", #{format: "text"})` vs `psql -c "COPY (…) TO STDOUT"`, whole process,
//! with peak RSS from `/usr/bin/time`.
//!
//! `MYRMEX_TEST_POSTGRES_URL=… cargo bench -p myrmex-tests --bench pg_stream`

use std::process::{Command, Stdio};
use std::time::Instant;

const ROUNDS: usize = 3;
const QUERY: &str = "SELECT g AS id, 'name-' || g AS name, g * 1.25 AS score, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at, g % 2 = 0 AS flag FROM generate_series(1, 1000000) g";

/// Runs `cmd` with stdout to /dev/null under /usr/bin/time; returns (seconds, peak RSS MiB).
fn measure(cmd: &[String]) -> (f64, f64) {
    let rss_file = std::env::temp_dir().join(format!("myrmex-rss-{}", std::process::id()));
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .args(cmd)
        .stdout(Stdio::null())
        .status()
        .expect("/usr/bin/time");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "{cmd:?} failed");
    let kib: f64 = std::fs::read_to_string(&rss_file)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    (secs, kib / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let Ok(url) = std::env::var("MYRMEX_TEST_POSTGRES_URL") else {
        println!("skipped: MYRMEX_TEST_POSTGRES_URL unset");
        return;
    };
    let o = myrmex_tests::registry()
        .parse_url(&url, std::path::Path::new(""))
        .unwrap();
    let bin = myrmex_tests::myrmex_bin().display().to_string();
    let plain = format!(
        "{url}{}sslmode=disable",
        if url.contains('?') { '&' } else { '?' }
    );
    let ours = vec![
        bin,
        "-e".into(),
        format!("connect(\"{plain}\").copy_out(\"{QUERY}\", \"-\", #{{format: \"text\"}}); ()"),
    ];
    let psql = vec![
        "psql".into(),
        "-X".into(),
        "-h".into(),
        if o.host.is_empty() {
            "localhost".into()
        } else {
            o.host.to_string()
        },
        "-p".into(),
        (if o.port == 0 { 5432 } else { o.port }).to_string(),
        "-U".into(),
        o.user.to_string(),
        "-d".into(),
        o.database.to_string(),
        "-c".into(),
        format!("COPY ({QUERY}) TO STDOUT"),
    ];
    let (mut t_ours, mut t_psql, mut m_ours, mut m_psql) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let (t, m) = measure(&ours);
        t_ours.push(t);
        m_ours.push(m);
        let (t, m) = measure(&psql);
        t_psql.push(t);
        m_psql.push(m);
    }
    let (a, b) = (median(t_ours), median(t_psql));
    println!("1,000,000 rows x 5 columns from PostgreSQL to /dev/null, median of {ROUNDS}");
    println!(
        "  myrmex -e copy_out(text)   {a:>7.2} s   peak RSS {:>6.1} MiB",
        m_ours.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  psql COPY TO STDOUT        {b:>7.2} s   peak RSS {:>6.1} MiB",
        m_psql.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  speed myrmex / psql        {:>7.3}   (target >= 0.8)",
        b / a
    );
}
