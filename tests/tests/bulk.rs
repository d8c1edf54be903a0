//! The bulk API (contract 2.4) on real engines: PostgreSQL's COPY output byte for byte as
//! psql writes it, loads through each engine's bulk path, typed rows between engines.

use myrmex_core::bulk::{BulkFormat, Chunk, CopySource, CopyTarget};
use myrmex_core::Value;
use myrmex_tests::{server_url, targets, ScratchDb};
use std::process::Command;

/// Rows with NULLs, tabs, newlines, backslashes, quotes, commas, empty strings and unicode.
const AWKWARD: &str = "CREATE TABLE awkward (id int PRIMARY KEY, t text, n numeric(12,3), b boolean, ts timestamptz, raw bytea);
INSERT INTO awkward VALUES
 (1, E'tab\\there', 1.5, true, '2024-01-02 03:04:05.123456+00', '\\x00ff'),
 (2, NULL, NULL, NULL, NULL, NULL),
 (3, E'line\\nbreak\\r\\nand \\\\ backslash', -0.001, false, '1999-12-31 23:59:59+05:30', ''),
 (4, '', 0, true, '2038-01-19 03:14:08+00', '\\x5c'),
 (5, 'ünïcödé 😀 \"quoted\", comma', 123456789.125, false, NULL, NULL),
 (6, '\\.', 7, NULL, NULL, NULL);";

fn psql(url: &str, command: &str) -> Vec<u8> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-d", url, "-c", command])
        .env("PGTZ", "UTC")
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn postgres_copy_out_is_byte_identical_to_psql() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let db = ScratchDb::create(&url, "postgres", "bulk-psql");
    let mut c = db.connect();
    c.execute_batch("SET TimeZone = 'UTC'").unwrap();
    c.execute_batch(AWKWARD).unwrap();
    // psql's session runs with PGTZ=UTC, as this one does.
    for (format, header, options) in [
        (BulkFormat::Text, false, ""),
        (BulkFormat::Csv, false, " (FORMAT csv)"),
        (BulkFormat::Csv, true, " (FORMAT csv, HEADER true)"),
    ] {
        let want = psql(&db.url, &format!("COPY awkward TO STDOUT{options}"));
        let mut got = Vec::new();
        let n = c
            .copy_out(
                &CopySource::table("awkward"),
                format,
                header,
                &mut got,
                "memory",
            )
            .unwrap();
        assert_eq!(n as usize, got.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{format:?} header={header}"
        );
        assert_eq!(got, want);
        // A query exports the same bytes as psql's COPY (query).
        let want = psql(
            &db.url,
            &format!("COPY (SELECT * FROM awkward ORDER BY id DESC) TO STDOUT{options}"),
        );
        let mut got = Vec::new();
        c.copy_out(
            &CopySource::query("SELECT * FROM awkward ORDER BY id DESC"),
            format,
            header,
            &mut got,
            "memory",
        )
        .unwrap();
        assert_eq!(got, want, "query {format:?}");
    }
    // Small chunks still hold whole rows, and the export is the same.
    let mut out = c
        .copy_out_start(&CopySource::table("awkward"), BulkFormat::Text, false)
        .unwrap();
    assert!(out.is_native());
    let mut joined = Vec::new();
    while let Some(chunk) = out.next_chunk(1, 1).unwrap() {
        assert!(chunk.bytes().ends_with(b"\n"));
        joined.extend_from_slice(chunk.bytes());
    }
    drop(out);
    assert_eq!(joined, psql(&db.url, "COPY awkward TO STDOUT"));

    // Text and CSV load back through COPY FROM STDIN to the same table content.
    for (format, header) in [(BulkFormat::Text, false), (BulkFormat::Csv, true)] {
        c.execute_batch("CREATE TABLE back (LIKE awkward)").unwrap();
        let mut data = Vec::new();
        c.copy_out(
            &CopySource::table("awkward"),
            format,
            header,
            &mut data,
            "memory",
        )
        .unwrap();
        let target = CopyTarget {
            table: "back".into(),
            ..Default::default()
        };
        let mut load = c.copy_in_start(&target, format, header).unwrap();
        assert!(load.is_native());
        load.write(&Chunk::from_bytes(data)).unwrap();
        assert_eq!(load.finish().unwrap(), 6);
        let diff = c
            .execute_query(
                "SELECT count(*) FROM ((TABLE awkward EXCEPT TABLE back) UNION ALL (TABLE back EXCEPT TABLE awkward)) d",
                &[],
            )
            .unwrap();
        assert_eq!(diff.get(0, "count"), Some(&Value::Int(0)), "{format:?}");
        c.execute_batch("DROP TABLE back").unwrap();
    }
}

#[test]
fn a_failed_load_leaves_nothing_and_the_connection_usable() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let db = ScratchDb::create(&url, "postgres", "bulk-fail");
    let mut c = db.connect();
    c.execute_batch("CREATE TABLE t (id int PRIMARY KEY)")
        .unwrap();
    let target = CopyTarget {
        table: "t".into(),
        ..Default::default()
    };
    let mut load = c.copy_in_start(&target, BulkFormat::Text, false).unwrap();
    load.write(&Chunk::from_bytes(b"1\n2\n".to_vec())).unwrap();
    load.write(&Chunk::from_bytes(b"2\n".to_vec())).unwrap();
    let err = load.finish().unwrap_err().to_string();
    assert!(err.contains("duplicate key"), "{err}");
    let n = c.execute_query("SELECT count(*) AS n FROM t", &[]).unwrap();
    assert_eq!(n.get(0, "n"), Some(&Value::Int(0)));
}

#[test]
fn insert_many_and_typed_rows_work_on_every_engine() {
    for t in targets("bulk-rows") {
        let mut c = t.connect();
        c.execute_batch(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(200), price DECIMAL(10,2))",
        )
        .unwrap();
        let rows: Vec<Vec<Value>> = (1..=25_000)
            .map(|i| {
                vec![
                    Value::Int(i),
                    if i % 7 == 0 {
                        Value::Null
                    } else {
                        Value::from(format!("item\t{i} ü"))
                    },
                    Value::Decimal(format!("{}.{:02}", i, i % 100).into()),
                ]
            })
            .collect();
        let cols = ["id".to_string(), "name".into(), "price".into()];
        let n = c.insert_many("items", &cols, rows).unwrap();
        assert_eq!(n, 25_000, "{}", t.engine);
        let r = c
            .execute_query(
                "SELECT count(*) AS n, count(name) AS named, sum(id) AS s FROM items",
                &[],
            )
            .unwrap();
        assert_eq!(r.get(0, "n"), Some(&Value::Int(25_000)), "{}", t.engine);
        assert_eq!(
            r.get(0, "named"),
            Some(&Value::Int(25_000 - 3571)),
            "{}",
            t.engine
        );

        // Typed rows out, in chunks of at most 1000 rows, in key order.
        let mut out = c
            .copy_out_start(
                &CopySource::query("SELECT id, name, price FROM items ORDER BY id"),
                BulkFormat::Rows,
                false,
            )
            .unwrap();
        let columns = out.columns().to_vec();
        let mut seen = 0i64;
        while let Some(chunk) = out.next_chunk(1 << 20, 1000).unwrap() {
            assert!(chunk.row_count() <= 1000);
            let values = chunk.values(&columns, "c").unwrap();
            for row in values.chunks(3) {
                seen += 1;
                assert_eq!(row[0], Value::Int(seen), "{}", t.engine);
                if seen == 14 {
                    assert_eq!(row[1], Value::Null);
                }
                if seen == 15 {
                    assert_eq!(row[1].as_text(), Some("item\t15 ü"), "{}", t.engine);
                }
            }
        }
        drop(out);
        assert_eq!(seen, 25_000, "{}", t.engine);
        // A row of the wrong width is refused before anything is sent.
        let err = c
            .insert_many("items", &cols, vec![vec![Value::Int(1)], vec![]])
            .unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
    }
}
