//! Backups and restores against the engines' own tools, side by side in one run, on realistic
//! data (random text and numbers, which do not compress 50:1 like pgbench's filler):
//!
//! 1. SQLite: `myrmex backup --strategy sqlite-online` vs `sqlite3 db ".backup out.db"`;
//! 2. PostgreSQL, four tables: the `logical` backup vs `pg_dump -Fc` and `pg_dump -Fd -j2`
//!    (time and size), its restore (in one transaction, and in parallel with a transaction
//!    per table) vs `pg_restore -j2` of the directory dump;
//! 3. MariaDB, four tables: the `logical` backup vs `mariadb-dump | gzip`, `mariadb-dump |
//!    zstd` and `mydumper -t 2 -c` (skipped with a message when mydumper is not installed).
//!
//! Whole processes, wall time and peak RSS from `/usr/bin/time`. Sizes from
//! `MYRMEX_BENCH_MB` (raw data per engine, default 1024); `MYRMEX_BENCH_ONLY=sqlite,postgres,mysql`
//! runs some of the sections.
//!
//! `MYRMEX_TEST_POSTGRES_URL=… MYRMEX_TEST_MYSQL_URL=… cargo bench -p myrmex-tests --bench backup`

use myrmex_tests::bench::{env_number, measure, psql, row, servers, size_mib, Measure};
use myrmex_tests::{myrmex_bin, temp_dir, ScratchDb};
use std::path::Path;
use std::process::Command;

/// Bytes of raw data per generated row (an id, 64 random hex characters, a decimal, a
/// timestamp and an integer), as the engines store them, roughly.
const ROW_BYTES: u64 = 120;
/// Tables per server database.
const TABLES: u64 = 4;

fn wanted(section: &str) -> bool {
    std::env::var("MYRMEX_BENCH_ONLY")
        .map(|s| s.split(',').any(|p| p.trim() == section))
        .unwrap_or(true)
}

/// The one backup directory a `--dest` holds after a run.
fn backup_in(dest: &Path) -> String {
    let entry = std::fs::read_dir(dest)
        .expect("dest")
        .flatten()
        .find(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .expect("a backup");
    entry.path().display().to_string()
}

fn sized(what: &str, m: Measure, mib: f64) -> String {
    format!("{what}: {:.2} s, {:.0} MiB RSS, {mib:.0} MiB", m.0, m.1)
}

fn main() {
    let Some((pg, my)) = servers() else {
        return;
    };
    let mb = env_number("MYRMEX_BENCH_MB", 1024);
    let rows = mb * 1024 * 1024 / ROW_BYTES;
    let bin = myrmex_bin().display().to_string();
    let dir = temp_dir("bench-backup");
    println!("about {mb} MiB of raw data per engine ({rows} rows)\n");
    println!("| operation | myrmex | peer | peer time / myrmex time |");
    println!("|---|---|---|---|");

    if wanted("sqlite") {
        let db = dir.join("big.db");
        let _ = std::fs::remove_file(&db);
        let sql = format!(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT, \
             amount REAL, at TEXT, n INTEGER); \
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {rows}) \
             INSERT INTO t SELECT x, hex(randomblob(32)), abs(random() % 100000000) / 100.0, \
             datetime(1700000000 + abs(random() % 100000000), 'unixepoch'), random() FROM c;"
        );
        let ok = Command::new("sqlite3")
            .arg(&db)
            .arg(&sql)
            .status()
            .expect("sqlite3")
            .success();
        assert!(ok, "sqlite3 could not build the database");
        println!("| SQLite database | {:.0} MiB | | |", size_mib(&db));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..3 {
            let dest = dir.join(format!("sqlite-dest-{i}"));
            let _ = std::fs::remove_dir_all(&dest);
            ours.push(measure(&format!(
                "TIME {bin} backup sqlite://{} --dest {} --strategy sqlite-online",
                db.display(),
                dest.display()
            )));
            let out = dir.join(format!("sqlite-out-{i}.db"));
            let _ = std::fs::remove_file(&out);
            theirs.push(measure(&format!(
                "TIME sqlite3 {} \".backup {}\"",
                db.display(),
                out.display()
            )));
            let _ = std::fs::remove_dir_all(&dest);
            let _ = std::fs::remove_file(&out);
        }
        ours.sort_by(|a, b| a.0.total_cmp(&b.0));
        theirs.sort_by(|a, b| a.0.total_cmp(&b.0));
        row(
            "SQLite online backup (median of 3)",
            ours[1],
            theirs[1],
            "sqlite3 .backup",
        );
        let _ = std::fs::remove_file(&db);
    }

    if wanted("postgres") {
        let src = ScratchDb::create(&pg, "postgres", "bench-bk-src");
        for t in 0..TABLES {
            psql(
                &src.url,
                &format!(
                    "CREATE TABLE t{t} AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS body, \
                     (random() * 1e6)::numeric(12,2) AS amount, \
                     timestamptz '2020-01-01' + random() * interval '1500 days' AS at, \
                     (random() * 2e9)::bigint - 1000000000 AS n \
                     FROM generate_series(1, {}) g",
                    rows / TABLES
                ),
            );
            psql(&src.url, &format!("ALTER TABLE t{t} ADD PRIMARY KEY (id)"));
        }
        psql(&src.url, "VACUUM ANALYZE");
        let dest = dir.join("pg-dest");
        let _ = std::fs::remove_dir_all(&dest);
        let ours = measure(&format!(
            "TIME {bin} backup {} --dest {} --parallel 2",
            src.url,
            dest.display()
        ));
        let ours_size = size_mib(&dest);
        let fc = dir.join("pg.dump");
        let theirs_fc = measure(&format!(
            "TIME pg_dump -Fc -d {} -f {}",
            src.url,
            fc.display()
        ));
        let fd = dir.join("pg-fd");
        let _ = std::fs::remove_dir_all(&fd);
        let theirs_fd = measure(&format!(
            "TIME pg_dump -Fd -j2 -d {} -f {}",
            src.url,
            fd.display()
        ));
        println!(
            "| PostgreSQL sizes | {} | {} ; {} | |",
            sized("logical", ours, ours_size),
            sized("pg_dump -Fc", theirs_fc, size_mib(&fc)),
            sized("pg_dump -Fd -j2", theirs_fd, size_mib(&fd)),
        );
        row(
            "PostgreSQL logical backup, 2 workers",
            ours,
            theirs_fc,
            "pg_dump -Fc",
        );
        row(
            "PostgreSQL logical backup, 2 workers",
            ours,
            theirs_fd,
            "pg_dump -Fd -j2",
        );
        let a = ScratchDb::create(&pg, "postgres", "bench-bk-a");
        let b = ScratchDb::create(&pg, "postgres", "bench-bk-b");
        let ours = measure(&format!(
            "TIME {bin} restore {} {} --parallel 2",
            backup_in(&dest),
            a.url
        ));
        let theirs = measure(&format!(
            "TIME pg_restore -j2 -d {} {}",
            b.url,
            fd.display()
        ));
        row(
            "PostgreSQL restore, one transaction",
            ours,
            theirs,
            "pg_restore -j2 (of -Fd)",
        );
        let c = ScratchDb::create(&pg, "postgres", "bench-bk-c");
        let parallel = measure(&format!(
            "TIME {bin} restore {} {} --parallel 2 --no-single-transaction",
            backup_in(&dest),
            c.url
        ));
        row(
            "PostgreSQL restore, 2 workers, a transaction per table",
            parallel,
            theirs,
            "pg_restore -j2 (of -Fd)",
        );
        let _ = std::fs::remove_dir_all(&dest);
        let _ = std::fs::remove_dir_all(&fd);
        let _ = std::fs::remove_file(&fc);
    }

    if wanted("mysql") {
        let src = ScratchDb::create(&my, "mysql", "bench-bk-my");
        let db = src.url.rsplit('/').next().unwrap_or_default().to_string();
        for t in 0..TABLES {
            let sql = format!(
                "CREATE TABLE t{t} (id BIGINT PRIMARY KEY, body VARCHAR(64), amount DECIMAL(12,2), \
                 at DATETIME, n BIGINT); \
                 INSERT INTO t{t} SELECT seq, CONCAT(MD5(RAND()), MD5(RAND())), ROUND(RAND() * 1e6, 2), \
                 TIMESTAMP '2020-01-01 00:00:00' + INTERVAL FLOOR(RAND() * 129600000) SECOND, \
                 FLOOR(RAND() * 2e9) - 1000000000 FROM seq_1_to_{};",
                rows / TABLES
            );
            let ok = Command::new("mariadb")
                .args(["-uroot", "-h127.0.0.1", &db, "-e", &sql])
                .status()
                .expect("mariadb")
                .success();
            assert!(ok, "mariadb could not build t{t}");
        }
        let dest = dir.join("my-dest");
        let _ = std::fs::remove_dir_all(&dest);
        let ours = measure(&format!(
            "TIME {bin} backup {} --dest {} --parallel 2",
            src.url,
            dest.display()
        ));
        println!(
            "| MariaDB logical backup size | {:.0} MiB | | |",
            size_mib(&dest)
        );
        let dump = format!("mariadb-dump -uroot -h127.0.0.1 --single-transaction --quick {db}");
        let gz = measure(&format!(
            "TIME {dump} | TIME gzip > {}/my.sql.gz",
            dir.display()
        ));
        row(
            "MariaDB logical backup, 2 workers",
            ours,
            gz,
            "mariadb-dump | gzip",
        );
        let zs = measure(&format!(
            "TIME {dump} | TIME zstd -q > {}/my.sql.zst",
            dir.display()
        ));
        row(
            "MariaDB logical backup, 2 workers",
            ours,
            zs,
            "mariadb-dump | zstd",
        );
        if Command::new("mydumper").arg("--version").output().is_ok() {
            let out = dir.join("mydumper");
            let _ = std::fs::remove_dir_all(&out);
            let md = measure(&format!(
                "TIME mydumper -h 127.0.0.1 -u root -B {db} -t 2 -c -o {}",
                out.display()
            ));
            row(
                "MariaDB logical backup, 2 workers",
                ours,
                md,
                "mydumper -t 2 -c",
            );
            let _ = std::fs::remove_dir_all(&out);
        } else {
            println!("\nmydumper is not installed: its comparison is skipped");
        }
        let into = ScratchDb::create(&my, "mysql", "bench-bk-my-into");
        let restore = measure(&format!(
            "TIME {bin} restore {} {} --parallel 2",
            backup_in(&dest),
            into.url
        ));
        println!(
            "| MariaDB restore, 2 workers | {:.2} s, {:.0} MiB | | |",
            restore.0, restore.1
        );
        let _ = std::fs::remove_dir_all(&dest);
    }
}
