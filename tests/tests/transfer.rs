//! Copying databases between engines: Chinook in all six directions with the same
//! analytical queries answering the same on both sides, edge values round-tripping between
//! every pair, and a copy killed mid-way resumed without duplicates.

use myrmex_core::transfer::{copy_data, CopyOptions, Quiet};
use myrmex_core::{DatabaseConnection, Value};
use myrmex_tests::chinook::{answer, chinook_sql, CHINOOK_QUERIES};
use myrmex_tests::{load_chinook, targets, Target};

fn copy(src: &Target, dst: &Target, options: &CopyOptions) -> myrmex_core::transfer::CopySummary {
    let mut s = src.connect();
    let mut d = dst.connect();
    s.name = format!("{}-src", src.engine);
    d.name = format!("{}-dst", dst.engine);
    copy_data(&mut s, &mut d, options, &Quiet)
        .unwrap_or_else(|e| panic!("{} → {}: {e}", src.engine, dst.engine))
}

#[test]
fn chinook_in_all_six_directions() {
    let sources = targets("chinook-src");
    for s in &sources {
        load_chinook(s);
    }
    for s in &sources {
        for d in targets(&format!("chinook-to-{}", s.engine)) {
            if d.engine == s.engine {
                continue;
            }
            let summary = copy(s, &d, &CopyOptions::default());
            let label = format!("{} → {}", s.engine, d.engine);
            assert!(summary.ok, "{label}: {:#?}", summary.tables);
            assert_eq!(summary.tables.len(), 11, "{label}");
            assert!(
                summary.tables.iter().all(|t| t.verified == Some(true)),
                "{label}"
            );
            let mut a = s.connect();
            let mut b = d.connect();
            let snake = s.engine == "postgres";
            for q in CHINOOK_QUERIES {
                let qa = chinook_sql(q, s.engine, snake);
                let qb = chinook_sql(q, d.engine, snake);
                assert_eq!(answer(&mut a, &qa), answer(&mut b, &qb), "{label}: {qa}");
            }
        }
    }
}

/// Analytical queries over Sakila, in SQL all three engines run the same way.
const SAKILA_QUERIES: &[&str] = &[
    "SELECT count(*) AS n FROM film",
    "SELECT rating, count(*) AS n FROM film GROUP BY rating",
    "SELECT c.name, count(*) AS n FROM film_category fc JOIN category c ON c.category_id = fc.category_id GROUP BY c.name",
    "SELECT staff_id, count(*) AS n, sum(amount) AS total FROM payment GROUP BY staff_id",
    "SELECT a.last_name, count(*) AS n FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id GROUP BY a.last_name HAVING count(*) > 40",
    "SELECT min(rental_date) AS first_day, max(rental_date) AS last_day, count(*) AS n FROM rental",
    "SELECT store_id, count(*) AS n FROM inventory GROUP BY store_id",
    "SELECT ci.city, count(*) AS n FROM customer cu JOIN address ad ON ad.address_id = cu.address_id JOIN city ci ON ci.city_id = ad.city_id GROUP BY ci.city HAVING count(*) > 1",
    "SELECT sum(length(title)) AS title_chars, sum(rental_rate) AS rates, sum(replacement_cost) AS costs FROM film",
    "SELECT count(*) AS n FROM film WHERE special_features IS NOT NULL",
    "SELECT count(*) AS n FROM payment_p2007_03",
];

/// Sakila (domains, an enum, arrays, tsvector, inherited partitions) from PostgreSQL into
/// MariaDB and SQLite, and from MariaDB back into PostgreSQL: every table copied and
/// verified, and the same answers everywhere.
#[test]
fn sakila_copies_from_postgres_and_back_with_the_same_answers() {
    let all = targets("sakila-copy");
    let pg = all
        .iter()
        .find(|t| t.engine == "postgres")
        .expect("Sakila needs PostgreSQL");
    for file in [
        "postgres-sakila-schema.sql",
        "postgres-sakila-insert-data-using-copy.sql",
    ] {
        let out = pg
            .client()
            .stdin(std::fs::File::open(myrmex_tests::datasets().join("sakila").join(file)).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "loading {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut reference = pg.connect();
    let want: Vec<_> = SAKILA_QUERIES
        .iter()
        .map(|q| answer(&mut reference, q))
        .collect();
    let check = |t: &Target, label: &str| {
        let mut c = t.connect();
        for (q, w) in SAKILA_QUERIES.iter().zip(&want) {
            assert_eq!(&answer(&mut c, q), w, "{label}: {q}");
        }
    };
    let options = CopyOptions {
        rules: myrmex_core::schema_def::convert::CastRules {
            drop_unconvertible_checks: true,
            ..Default::default()
        },
        ..CopyOptions::default()
    };
    for d in all.iter().filter(|t| t.engine != "postgres") {
        let label = format!("postgres → {}", d.engine);
        let summary = copy(pg, d, &options);
        assert!(summary.ok, "{label}: {:#?}", summary.tables);
        assert!(summary.tables.len() >= 15, "{label}: {:#?}", summary.tables);
        assert!(
            summary.tables.iter().all(|t| t.verified == Some(true)),
            "{label}: {:#?}",
            summary.tables
        );
        check(d, &label);
        if d.engine == "mysql" {
            let back = targets("sakila-back")
                .into_iter()
                .find(|t| t.engine == "postgres")
                .unwrap();
            let summary = copy(d, &back, &options);
            assert!(summary.ok, "mariadb → postgres: {:#?}", summary.tables);
            check(&back, "postgres → mariadb → postgres");
        }
    }
}

/// A table of every portable type, for the round trips.
const EDGE_SCHEMA: &str = r#"
[[tables]]
name = "edge"
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint" },
  { name = "i", type = "bigint", nullable = true },
  { name = "t", type = "text", nullable = true },
  { name = "v", type = "varchar(100)", nullable = true },
  { name = "d", type = "decimal(24,6)", nullable = true },
  { name = "f", type = "double", nullable = true },
  { name = "b", type = "bool", nullable = true },
  { name = "dt", type = "date", nullable = true },
  { name = "ts", type = "timestamp", nullable = true },
  { name = "tz", type = "timestamptz", nullable = true },
  { name = "raw", type = "blob", nullable = true },
]
"#;

/// Random rows with edge values: integer extremes, NULLs, unicode with emoji and control
/// characters (no NUL: PostgreSQL text cannot hold it), a text over 1 MB, exact decimals
/// (of 15 digits, SQLite's limit),
/// dates and timestamps across the range every engine holds, empty strings and blobs.
fn edge_rows(rng: &mut myrmex_tests::Rng, n: usize) -> Vec<Vec<Value>> {
    let texts = [
        "",
        " ",
        "plain",
        "ünïcödé",
        "emoji 😀🎉",
        "tab\there",
        "line\nbreak\r\n",
        "back\\slash",
        "quote'\"",
        "ctrl\u{1}\u{1f}\u{7f}",
        "中文字符",
        "\\N",
        "NULL",
        "a,b;c",
    ];
    let ints = [
        0,
        1,
        -1,
        i64::MAX,
        i64::MIN + 1,
        i32::MAX as i64,
        i32::MIN as i64,
    ];
    // SQLite keeps 15 significant digits of a decimal exactly, and refuses more.
    let decimals = [
        "0",
        "-0.000001",
        "123456789.123456",
        "1.500000",
        "-999999999.999999",
    ];
    let dates = [
        "1000-01-01",
        "1970-01-01",
        "2000-02-29",
        "2038-01-19",
        "9999-12-31",
    ];
    let stamps = [
        "1000-01-01 00:00:00",
        "1969-07-20 20:17:40.5",
        "2038-01-19 03:14:08.000001",
        "9999-12-31 23:59:59.999999",
    ];
    // MySQL TIMESTAMP starts at 1970-01-01 00:00:01 UTC.
    let zoned = [
        "1970-01-02 00:00:00+00:00",
        "2024-02-29 12:30:00.25+05:30",
        "2001-09-09 01:46:40-07:00",
    ];
    let pick = |rng: &mut myrmex_tests::Rng, null: bool| null && rng.chance(20);
    (0..n)
        .map(|k| {
            let mut r = vec![Value::Int(k as i64 + 1)];
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Int(ints[rng.below(ints.len())])
            });
            r.push(if k == 0 {
                Value::from("x".repeat(1_100_000) + "😀")
            } else if pick(rng, true) {
                Value::Null
            } else {
                Value::from(texts[rng.below(texts.len())])
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::from(texts[rng.below(texts.len())])
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Decimal(decimals[rng.below(decimals.len())].into())
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Float([0.0, -1.5, 1e300, 2.2250738585072014e-308, 0.1][rng.below(5)])
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Bool(rng.chance(50))
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Date(dates[rng.below(dates.len())].into())
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Timestamp(stamps[rng.below(stamps.len())].into())
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::TimestampTz(zoned[rng.below(zoned.len())].into())
            });
            r.push(if pick(rng, true) {
                Value::Null
            } else {
                Value::Blob(
                    (0..rng.below(64))
                        .map(|i| (i * 37 % 256) as u8)
                        .collect::<Vec<u8>>()
                        .into(),
                )
            });
            r
        })
        .collect()
}

#[test]
fn edge_values_round_trip_between_every_pair() {
    let (mut rng, _seed) = myrmex_tests::Rng::from_env("MYRMEX_TRANSFER_SEED");
    let def = myrmex_core::SchemaDefinition::from_toml_str(EDGE_SCHEMA, "edge.toml").unwrap();
    let rows = edge_rows(&mut rng, 300);
    let sources = targets("edge-src");
    for s in &sources {
        let mut c = s.connect();
        c.apply_schema(&def).unwrap();
        c.insert_many("edge", &[], rows.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", s.engine));
    }
    for s in &sources {
        for d in targets(&format!("edge-to-{}", s.engine)) {
            if d.engine == s.engine {
                continue;
            }
            let summary = copy(s, &d, &CopyOptions::default());
            let label = format!("{} → {}", s.engine, d.engine);
            assert!(summary.ok, "{label}: {:#?}", summary.tables);
            assert_eq!(summary.tables[0].target_rows, Some(300), "{label}");
            let mut c = d.connect();
            let r = c
                .execute_query("SELECT t FROM edge WHERE id = 1", &[])
                .unwrap();
            let long = r.get(0, "t").and_then(Value::as_text).unwrap_or("");
            assert_eq!(long.chars().count(), 1_100_001, "{label}");
            assert!(long.ends_with('😀'), "{label}");
        }
    }
}

/// The rows of the resume state that say a chunk of `big` is done, or `None` while the
/// state table does not exist yet.
fn chunks_done(c: &mut DatabaseConnection) -> Option<i64> {
    let r = c
        .execute_query(
            "SELECT count(*) AS n FROM _myrmex_copy_state WHERE table_name = 'big'",
            &[],
        )
        .ok()?;
    match r.get(0, "n") {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}

#[test]
fn a_killed_copy_resumes_without_duplicates() {
    let Some(pg) = myrmex_tests::server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let Some(my) = myrmex_tests::server_url("MYRMEX_TEST_MYSQL_URL") else {
        return;
    };
    let src = myrmex_tests::ScratchDb::create(&pg, "postgres", "resume-src");
    let dst = myrmex_tests::ScratchDb::create(&my, "mysql", "resume-dst");
    src.connect()
        .execute_batch(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS t, (g * 1.5)::numeric(12,2) AS d FROM generate_series(1, 400000) g;
             ALTER TABLE big ADD PRIMARY KEY (id);
             CREATE TABLE small (id int PRIMARY KEY, big_id int REFERENCES big(id));
             INSERT INTO small SELECT g, g * 7 FROM generate_series(1, 1000) g;",
        )
        .unwrap();
    let args = |resume: bool| {
        let mut cmd = myrmex_tests::myrmex();
        cmd.args([
            "copy",
            &src.url,
            &dst.url,
            "--chunk-rows",
            "10000",
            "--parallel",
            "1",
        ]);
        if resume {
            cmd.args(["--resume", "--format", "json"]);
        }
        cmd
    };
    let mut child = args(false)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut target = dst.connect();
    let started = std::time::Instant::now();
    loop {
        if chunks_done(&mut target).unwrap_or(0) >= 3 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it could be killed"
        );
        assert!(
            started.elapsed().as_secs() < 120,
            "no chunk was copied in 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done_before = chunks_done(&mut target).unwrap();
    assert!(done_before < 40, "the copy finished before the kill");

    let out = myrmex_tests::run(&mut args(true));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let summary: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(summary["ok"], true);
    let big = summary["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "big")
        .unwrap();
    assert_eq!(big["chunks"], 40);
    assert_eq!(big["chunks_resumed"].as_i64(), Some(done_before));
    assert_eq!(big["verified"], true);
    assert_eq!(big["target_rows"], 400_000);
    let r = target
        .execute_query(
            "SELECT count(*) AS n, count(DISTINCT id) AS k FROM big",
            &[],
        )
        .unwrap();
    assert_eq!(r.get(0, "n"), Some(&Value::Int(400_000)));
    assert_eq!(r.get(0, "k"), Some(&Value::Int(400_000)));
    // The state table is gone after a complete copy.
    assert!(chunks_done(&mut target).is_none());
}
