//! The SQLite driver plugin through the real contract: types, streaming, transactions,
//! introspection on Chinook, options, cancel.

use myrmex_core::{DatabaseConnection, Error, Value};
use myrmex_tests::*;
use std::time::{Duration, Instant};

fn connect(url: &str) -> DatabaseConnection {
    let mut c = DatabaseConnection::from_url("t", url).unwrap();
    c.connect_with(&registry()).unwrap();
    c
}

fn chinook() -> DatabaseConnection {
    let mut c = connect("sqlite::memory:");
    let sql = std::fs::read_to_string(datasets().join("chinook/Chinook_Sqlite.sql"))
        .expect("Chinook_Sqlite.sql in ../shared/datasets");
    c.execute_batch(&sql).unwrap();
    c
}

#[test]
fn types_round_trip_with_declared_types() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch(
        "CREATE TABLE t(b BOOLEAN, i INTEGER, f REAL, s TEXT, x BLOB, d DECIMAL(38,10), dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, j JSON, u UUID)",
    )
    .unwrap();
    let uuid = Value::parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
    let row = vec![
        Value::Bool(true),
        Value::Int(i64::MIN),
        Value::Float(f64::INFINITY),
        Value::Text("a\0b ünïcode".into()),
        Value::Blob((0..=255u8).collect::<Vec<_>>().into()),
        Value::Decimal("12345.0123456789".into()),
        Value::Date("1901-12-13".into()),
        Value::Time("23:59:59.999999".into()),
        Value::Timestamp("2040-02-29 12:00:00.000001".into()),
        Value::TimestampTz("1969-07-20 20:17:40+00:00".into()),
        Value::Json("{\"a\": [1, 2]}".into()),
        Value::Uuid(uuid),
    ];
    c.execute("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &row)
        .unwrap();
    let rs = c.execute_query("SELECT * FROM t", &[]).unwrap();
    assert_eq!(rs.row(0).unwrap(), row.as_slice());
    c.execute("INSERT INTO t(i) VALUES (?)", &[Value::Int(i64::MAX)])
        .unwrap();
    assert_eq!(
        c.execute_query("SELECT max(i) FROM t", &[])
            .unwrap()
            .row(0)
            .unwrap()[0],
        Value::Int(i64::MAX)
    );
}

#[test]
fn decimals_sqlite_cannot_keep_exactly_are_refused() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch("CREATE TABLE t(d DECIMAL(38,10), s TEXT)")
        .unwrap();
    let wide = "1234567890123456789012345678.0123456789";
    let e = c
        .execute(
            "INSERT INTO t(d) VALUES (?)",
            &[Value::Decimal(wide.into())],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains(wide) && e.contains("15"), "{e}");
    // Stored as text, every digit survives.
    c.execute("INSERT INTO t(s) VALUES (?)", &[Value::Text(wide.into())])
        .unwrap();
    assert_eq!(
        c.execute_query("SELECT s FROM t", &[])
            .unwrap()
            .row(0)
            .unwrap()[0],
        Value::Text(wide.into())
    );
}

#[test]
fn nan_is_refused_not_silently_nulled() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch("CREATE TABLE t(f REAL)").unwrap();
    let e = c
        .execute("INSERT INTO t VALUES (?)", &[Value::Float(f64::NAN)])
        .unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    assert!(c.execute_query("SELECT * FROM t", &[]).unwrap().is_empty());
}

#[test]
fn streaming_reads_in_batches_across_boundaries() {
    let mut c = connect("sqlite::memory:");
    let n = 2 * myrmex_core::DEFAULT_BATCH_ROWS as i64 + 17;
    let mut stream = c
        .query_stream("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) SELECT i, 'row' || i AS label FROM s", &[Value::Int(n)])
        .unwrap();
    assert_eq!(stream.columns().len(), 2);
    let mut count = 0i64;
    while let Some(row) = stream.next_row().unwrap() {
        count += 1;
        assert_eq!(row[0], Value::Int(count));
    }
    assert_eq!(count, n);
    drop(stream);
    // An abandoned stream closes its cursor; the connection is usable at once.
    let mut s = c.query_stream("SELECT 1 UNION ALL SELECT 2", &[]).unwrap();
    s.next_row().unwrap();
    drop(s);
    assert_eq!(
        c.execute_query("SELECT 3", &[]).unwrap().row(0).unwrap()[0],
        Value::Int(3)
    );
}

#[test]
fn transactions_commit_and_roll_back() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch("CREATE TABLE t(x INTEGER)").unwrap();
    let mut tx = c.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
    tx.commit().unwrap();
    // An error inside: the transaction rolls back when dropped.
    let r: Result<(), Error> = (|| {
        let mut tx = c.transaction()?;
        tx.execute("INSERT INTO t VALUES (2)", &[])?;
        tx.execute("INSERT INTO nowhere VALUES (3)", &[])?;
        tx.commit()
    })();
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("no such table: nowhere"));
    assert!(!c.in_transaction());
    c.begin().unwrap();
    c.execute("INSERT INTO t VALUES (4)", &[]).unwrap();
    c.savepoint("sp").unwrap();
    c.execute("INSERT INTO t VALUES (5)", &[]).unwrap();
    c.rollback_to_savepoint("sp").unwrap();
    c.release_savepoint("sp").unwrap();
    c.commit().unwrap();
    let rs = c
        .execute_query("SELECT group_concat(x) FROM t", &[])
        .unwrap();
    assert_eq!(rs.row(0).unwrap()[0], Value::Text("1,4".into()));
}

#[test]
fn execute_reports_rows_and_last_insert_id() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    let r = c
        .execute("INSERT INTO t(v) VALUES ('a'), ('b')", &[])
        .unwrap();
    assert_eq!(r.rows_affected, 2);
    assert_eq!(r.last_insert_id.into_option(), Some(2));
    let r = c.execute("UPDATE t SET v = 'c'", &[]).unwrap();
    assert_eq!((r.rows_affected, r.last_insert_id.into_option()), (2, None));
    let e = c
        .execute("INSERT INTO t(v) VALUES (?, ?)", &[Value::Int(1)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("statement: INSERT INTO t(v) VALUES (?, ?)"),
        "{e}"
    );
}

#[test]
fn chinook_introspection() {
    let mut c = chinook();
    let names: Vec<String> = c
        .tables()
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Album",
            "Artist",
            "Customer",
            "Employee",
            "Genre",
            "Invoice",
            "InvoiceLine",
            "MediaType",
            "Playlist",
            "PlaylistTrack",
            "Track"
        ]
    );
    let t = c.describe("Track").unwrap();
    let cols: Vec<(&str, &str, bool)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.decl_type.as_str(), c.nullable))
        .collect();
    assert_eq!(cols[0], ("TrackId", "INTEGER", false));
    assert_eq!(cols[1], ("Name", "NVARCHAR(200)", false));
    assert_eq!(cols[8], ("UnitPrice", "NUMERIC(10,2)", false));
    assert_eq!(
        t.primary_key.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ["TrackId"]
    );
    assert!(t.columns[0].auto_increment);
    let fk_tables: Vec<&str> = t
        .foreign_keys
        .iter()
        .map(|f| f.ref_table.as_str())
        .collect();
    assert_eq!(fk_tables.len(), 3);
    for expected in ["Album", "Genre", "MediaType"] {
        assert!(fk_tables.contains(&expected), "{fk_tables:?}");
    }
    let by_album = t
        .foreign_keys
        .iter()
        .find(|f| f.ref_table.as_str() == "Album")
        .unwrap();
    assert_eq!(
        (
            by_album.columns[0].as_str(),
            by_album.ref_columns[0].as_str()
        ),
        ("AlbumId", "AlbumId")
    );
    assert!(t
        .indexes
        .iter()
        .any(|i| i.name.as_str() == "IFK_TrackAlbumId" && !i.unique));
    let pt = c.describe("PlaylistTrack").unwrap();
    assert_eq!(pt.primary_key.len(), 2);
    let missing = c.describe("NoSuchTable").unwrap_err().to_string();
    assert!(
        missing.contains("no table or view named NoSuchTable"),
        "{missing}"
    );
}

#[test]
fn chinook_values_decode_by_declared_type() {
    let mut c = chinook();
    let rs = c.execute_query("SELECT UnitPrice, InvoiceDate FROM Invoice JOIN InvoiceLine USING (InvoiceId) ORDER BY InvoiceLineId LIMIT 1", &[]).unwrap();
    assert_eq!(
        rs.row(0).unwrap(),
        [
            Value::Decimal("0.99".into()),
            Value::Timestamp("2021-01-01 00:00:00".into())
        ]
    );
    let total = c.execute_query("SELECT count(*) FROM Track", &[]).unwrap();
    assert_eq!(total.row(0).unwrap()[0], Value::Int(3503));
}

#[test]
fn options_are_applied_and_bad_ones_named() {
    let dir = temp_dir("opts");
    let path = dir.join("o.db");
    let url = format!(
        "sqlite://{}?journal_mode=wal&busy_timeout=100",
        path.display()
    );
    let mut c = connect(&url);
    let mode = c.execute_query("PRAGMA journal_mode", &[]).unwrap();
    assert_eq!(mode.row(0).unwrap()[0], Value::Text("wal".into()));
    c.execute_batch("CREATE TABLE t(x)").unwrap();
    drop(c);
    let mut ro = connect(&format!("sqlite://{}?mode=ro", path.display()));
    let e = ro
        .execute("INSERT INTO t VALUES (1)", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("readonly"), "{e}");
    // A misspelt option is refused when the URL is read, before any file is opened.
    let e = DatabaseConnection::from_url("bad", "sqlite::memory:?jurnal_mode=wal")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown sqlite option `jurnal_mode`"), "{e}");
    let mut missing =
        DatabaseConnection::from_url("m", "sqlite:///nonexistent-dir/x.db?mode=rw").unwrap();
    let e = missing.connect_with(&registry()).unwrap_err().to_string();
    assert!(
        e.contains("cannot open SQLite database /nonexistent-dir/x.db"),
        "{e}"
    );
}

#[test]
fn cancel_interrupts_a_running_query() {
    let mut c = connect("sqlite::memory:");
    let token = c.cancel_token().expect("sqlite supports cancel");
    let started = Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        token.cancel().unwrap();
    });
    let e = c
        .execute_query("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s) SELECT count(*) FROM s", &[])
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(
        e.plugin_error().unwrap().kind,
        myrmex_abi::ErrorKind::CANCELLED,
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        c.execute_query("SELECT 1", &[]).unwrap().row(0).unwrap()[0],
        Value::Int(1)
    );
}

#[test]
fn debug_and_display_never_show_the_password() {
    let c =
        DatabaseConnection::from_url("pg", "postgres://ann:hunter2@db:5432/app?sslmode=require")
            .unwrap();
    let text = format!("{c} {c:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("postgres://ann:***@db:5432/app?sslmode=require"),
        "{text}"
    );
}

#[test]
fn cached_statements_follow_schema_changes() {
    let mut c = connect("sqlite::memory:");
    c.execute_batch("CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (1)")
        .unwrap();
    let sql = "SELECT * FROM t";
    assert_eq!(
        c.execute_query(sql, &[]).unwrap().row(0).unwrap(),
        [Value::Int(1)]
    );
    // Same SQL text, new table shape and declared types: the cached statement is re-prepared
    // by SQLite and its column metadata rebuilt.
    c.execute_batch(
        "DROP TABLE t; CREATE TABLE t(a BOOLEAN, b DATE); INSERT INTO t VALUES (1, '2020-02-29')",
    )
    .unwrap();
    let rs = c.execute_query(sql, &[]).unwrap();
    assert_eq!(rs.column_names(), ["a", "b"]);
    assert_eq!(
        rs.row(0).unwrap(),
        [Value::Bool(true), Value::Date("2020-02-29".into())]
    );
    let e = c
        .execute_query(sql, &[Value::Int(1)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("takes 0 parameter(s), 1 given"), "{e}");
}
