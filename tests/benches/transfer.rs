//! Bulk export and cross-engine copy against the peer tools, side by side in one run:
//!
//! 1. `copy_out` of a stored table in PostgreSQL text format (`myrmex -e …copy_out("t", "-")`)
//!    vs `psql -c "COPY t TO STDOUT"`, both to /dev/null;
//! 2. PostgreSQL → PostgreSQL: `myrmex copy` vs `pg_dump -Fc | pg_restore`;
//! 3. SQLite → PostgreSQL and MariaDB → PostgreSQL: `myrmex copy` vs pgloader (skipped with a
//!    message when pgloader is not installed).
//!
//! Whole processes, wall time and peak RSS from `/usr/bin/time`. Table size from
//! `MYRMEX_BENCH_ROWS` (default 1,000,000 rows of 5 columns, about 90 MB in PostgreSQL).
//!
//! `MYRMEX_TEST_POSTGRES_URL=… MYRMEX_TEST_MYSQL_URL=… cargo bench -p myrmex-tests --bench transfer`

use myrmex_tests::bench::{env_number, measure, psql, row, servers};
use myrmex_tests::{myrmex_bin, ScratchDb};
use std::process::Command;

fn main() {
    let Some((pg, my)) = servers() else {
        return;
    };
    let rows = env_number("MYRMEX_BENCH_ROWS", 1_000_000);
    let bin = myrmex_bin().display().to_string();
    let src = ScratchDb::create(&pg, "postgres", "bench-src");
    psql(
        &src.url,
        &format!(
            "CREATE TABLE t AS SELECT g AS id, 'name-' || g AS name, (g * 1.25)::numeric(14,2) AS score, \
             timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at, g % 2 = 0 AS flag \
             FROM generate_series(1, {rows}) g"
        ),
    );
    // Separate commands: psql runs one -c string as one transaction, and VACUUM refuses that.
    psql(&src.url, "ALTER TABLE t ADD PRIMARY KEY (id)");
    psql(&src.url, "VACUUM ANALYZE t");
    println!("{rows} rows × 5 columns\n");
    println!("| operation | myrmex | peer | peer time / myrmex time |");
    println!("|---|---|---|---|");

    // 1. copy_out vs psql COPY, three rounds each, interleaved; medians.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        a.push(measure(&format!(
            "TIME {bin} -e 'connect(\"{}\").copy_out(\"t\", \"-\", #{{format: \"text\"}}); ()'",
            src.url
        )));
        b.push(measure(&format!(
            "TIME psql -X -d {} -c 'COPY t TO STDOUT'",
            src.url
        )));
    }
    a.sort_by(|x, y| x.0.total_cmp(&y.0));
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    row(
        "copy_out text of the stored table",
        a[1],
        b[1],
        "psql COPY TO STDOUT",
    );

    // 2. PostgreSQL → PostgreSQL.
    let d1 = ScratchDb::create(&pg, "postgres", "bench-d1");
    let d2 = ScratchDb::create(&pg, "postgres", "bench-d2");
    let ours = measure(&format!(
        "TIME {bin} copy {} {} --no-verify --parallel 2",
        src.url, d1.url
    ));
    let theirs = measure(&format!(
        "TIME pg_dump -Fc -d {} | TIME pg_restore -d {}",
        src.url, d2.url
    ));
    row(
        "PostgreSQL → PostgreSQL",
        ours,
        theirs,
        "pg_dump -Fc piped to pg_restore",
    );
    let d3 = ScratchDb::create(&pg, "postgres", "bench-d3");
    let verified = measure(&format!(
        "TIME {bin} copy {} {} --parallel 2",
        src.url, d3.url
    ));
    println!(
        "| PostgreSQL → PostgreSQL, verified | {:.2} s, {:.0} MiB | | |",
        verified.0, verified.1
    );

    // 3. SQLite → PostgreSQL and MariaDB → PostgreSQL vs pgloader.
    let dir = myrmex_tests::temp_dir("bench-transfer");
    let sqlite = dir.join("bench.db");
    let _ = std::fs::remove_file(&sqlite);
    let to_sqlite = format!("sqlite://{}", sqlite.display());
    measure(&format!("{bin} copy {} {to_sqlite} --no-verify", src.url));
    let mysrc = ScratchDb::create(&my, "mysql", "bench-my");
    measure(&format!("{bin} copy {} {} --no-verify", src.url, mysrc.url));
    if Command::new("pgloader").arg("--version").output().is_err() {
        println!("\npgloader is not installed: its comparisons are skipped");
        return;
    }
    for (label, from, loader_from) in [
        (
            "SQLite → PostgreSQL",
            to_sqlite.clone(),
            format!("sqlite://{}", sqlite.display()),
        ),
        ("MariaDB → PostgreSQL", mysrc.url.clone(), mysrc.url.clone()),
    ] {
        let a = ScratchDb::create(&pg, "postgres", "bench-a");
        let b = ScratchDb::create(&pg, "postgres", "bench-b");
        let ours = measure(&format!(
            "TIME {bin} copy {from} {} --no-verify --parallel 2",
            a.url
        ));
        let theirs = measure(&format!("TIME pgloader --quiet {loader_from} {}", b.url));
        row(label, ours, theirs, "pgloader");
    }
}
