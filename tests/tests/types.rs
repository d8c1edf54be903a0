//! Lossless type round trips through the PostgreSQL and MySQL/MariaDB plugins, edge values
//! included (the SQLite round trip is in sqlite_driver.rs).

use myrmex_abi::ErrorKind;
use myrmex_core::{DatabaseConnection, Value};
use myrmex_tests::*;

fn connect(var: &str, name: &str) -> Option<DatabaseConnection> {
    let url = server_url(var)?;
    let mut c = DatabaseConnection::from_url(name, &url).unwrap();
    c.connect_with(&registry()).unwrap();
    Some(c)
}

fn uuid() -> Value {
    Value::Uuid(Value::parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap())
}

fn big_blob() -> Value {
    Value::Blob(
        (0..16 * 1024 * 1024)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect::<Vec<_>>()
            .into(),
    )
}

/// Inserts `input` into `col`, reads it back, compares with `expected`.
fn round_trip(c: &mut DatabaseConnection, table: &str, col: &str, input: Value, expected: Value) {
    c.execute(&format!("DELETE FROM {table}"), &[]).unwrap();
    c.execute(
        &format!("INSERT INTO {table}(id, {col}) VALUES (1, ?)"),
        std::slice::from_ref(&input),
    )
    .unwrap_or_else(|e| panic!("insert {input:?} into {col}: {e}"));
    let rs = c
        .execute_query(&format!("SELECT {col} FROM {table}"), &[])
        .unwrap();
    let got = &rs.row(0).unwrap()[0];
    match (&expected, got) {
        (Value::Float(a), Value::Float(b)) if a.is_nan() => assert!(b.is_nan(), "{col}: {got:?}"),
        _ => assert_eq!(got, &expected, "{col}: inserted {input:?}"),
    }
}

#[test]
fn postgres_types_round_trip() {
    let Some(mut c) = connect("MYRMEX_TEST_POSTGRES_URL", "pg") else {
        return;
    };
    c.execute_batch(
        "DROP TABLE IF EXISTS ty_pg; DROP TYPE IF EXISTS ty_mood;
         CREATE TYPE ty_mood AS ENUM ('sad', 'happy');
         CREATE TABLE ty_pg (id int PRIMARY KEY, b boolean, i2 smallint, i8 bigint, f4 real, f8 double precision,
           n numeric(38,10), nn numeric, t text, vc varchar(10), by bytea, d date, tm time, ts timestamp, tz timestamptz,
           j json, jb jsonb, u uuid, arr int[], tarr text[], en ty_mood, iv interval, ip inet)",
    )
    .unwrap();
    let t = "ty_pg";
    round_trip(&mut c, t, "b", Value::Bool(true), Value::Bool(true));
    round_trip(&mut c, t, "i2", Value::Int(-32768), Value::Int(-32768));
    for i in [i64::MIN, i64::MAX, 0] {
        round_trip(&mut c, t, "i8", Value::Int(i), Value::Int(i));
    }
    round_trip(&mut c, t, "f4", Value::Float(1.5), Value::Float(1.5));
    for f in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        1e308,
        5e-324,
    ] {
        round_trip(&mut c, t, "f8", Value::Float(f), Value::Float(f));
    }
    let wide = "1234567890123456789012345678.0123456789";
    round_trip(
        &mut c,
        t,
        "n",
        Value::Decimal(wide.into()),
        Value::Decimal(wide.into()),
    );
    round_trip(
        &mut c,
        t,
        "n",
        Value::Decimal("-0.5".into()),
        Value::Decimal("-0.5000000000".into()),
    );
    round_trip(
        &mut c,
        t,
        "nn",
        Value::Decimal("NaN".into()),
        Value::Decimal("NaN".into()),
    );
    round_trip(&mut c, t, "nn", Value::Int(42), Value::Decimal("42".into()));
    round_trip(
        &mut c,
        t,
        "t",
        Value::Text("".into()),
        Value::Text("".into()),
    );
    round_trip(
        &mut c,
        t,
        "t",
        Value::Text("ünï 漢 🐜 'q'".into()),
        Value::Text("ünï 漢 🐜 'q'".into()),
    );
    let nul = c
        .execute(
            "INSERT INTO ty_pg(id, t) VALUES (2, ?)",
            &[Value::Text("a\0b".into())],
        )
        .unwrap_err()
        .to_string();
    assert!(nul.contains("NUL"), "{nul}");
    round_trip(&mut c, t, "by", big_blob(), big_blob());
    round_trip(
        &mut c,
        t,
        "d",
        Value::Date("1901-12-13".into()),
        Value::Date("1901-12-13".into()),
    );
    round_trip(
        &mut c,
        t,
        "d",
        Value::Date("2240-02-29".into()),
        Value::Date("2240-02-29".into()),
    );
    round_trip(
        &mut c,
        t,
        "d",
        Value::Text("infinity".into()),
        Value::Date("infinity".into()),
    );
    round_trip(
        &mut c,
        t,
        "tm",
        Value::Time("23:59:59.999999".into()),
        Value::Time("23:59:59.999999".into()),
    );
    round_trip(
        &mut c,
        t,
        "ts",
        Value::Timestamp("1969-12-31 23:59:59.999999".into()),
        Value::Timestamp("1969-12-31 23:59:59.999999".into()),
    );
    round_trip(
        &mut c,
        t,
        "ts",
        Value::Timestamp("2262-04-11 23:47:16.854775".into()),
        Value::Timestamp("2262-04-11 23:47:16.854775".into()),
    );
    round_trip(
        &mut c,
        t,
        "tz",
        Value::TimestampTz("2038-01-19 03:14:08.000001+05:30".into()),
        Value::TimestampTz("2038-01-18 21:44:08.000001+00:00".into()),
    );
    round_trip(
        &mut c,
        t,
        "j",
        Value::Json("{\"a\": [1, 2.5, null]}".into()),
        Value::Json("{\"a\": [1, 2.5, null]}".into()),
    );
    round_trip(
        &mut c,
        t,
        "jb",
        Value::Json("{\"b\":1,\"a\":[true]}".into()),
        Value::Json("{\"a\": [true], \"b\": 1}".into()),
    );
    round_trip(&mut c, t, "u", uuid(), uuid());
    round_trip(
        &mut c,
        t,
        "u",
        Value::Text("67E55044-10B1-426F-9247-BB680E5FE0C8".into()),
        uuid(),
    );
    round_trip(
        &mut c,
        t,
        "arr",
        Value::Text("{1,2,NULL}".into()),
        Value::Json("[1,2,null]".into()),
    );
    round_trip(
        &mut c,
        t,
        "tarr",
        Value::Text("{a,\"b c\"}".into()),
        Value::Json("[\"a\",\"b c\"]".into()),
    );
    round_trip(
        &mut c,
        t,
        "en",
        Value::Text("happy".into()),
        Value::Text("happy".into()),
    );
    round_trip(
        &mut c,
        t,
        "iv",
        Value::Text("1 day 02:03:04.5".into()),
        Value::Text("P1DT2H3M4.5S".into()),
    );
    round_trip(
        &mut c,
        t,
        "iv",
        Value::Text("P1Y2M3DT4H5M6.000007S".into()),
        Value::Text("P1Y2M3DT4H5M6.000007S".into()),
    );
    round_trip(
        &mut c,
        t,
        "ip",
        Value::Text("10.1.2.3/16".into()),
        Value::Text("10.1.2.3/16".into()),
    );
    // A type with no lossless slot is an error naming the column and the type.
    let e = c
        .execute_query("SELECT point(1, 2) AS spot", &[])
        .unwrap_err();
    assert_eq!(e.plugin_error().unwrap().kind, ErrorKind::TYPE);
    let text = e.to_string();
    assert!(text.contains("`spot`") && text.contains("point"), "{text}");
    // Out-of-range integers are refused, not wrapped.
    let e = c
        .execute(
            "INSERT INTO ty_pg(id, i2) VALUES (3, ?)",
            &[Value::Int(70_000)],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("out of range"), "{e}");
}

#[test]
fn mysql_types_round_trip() {
    let Some(mut c) = connect("MYRMEX_TEST_MYSQL_URL", "my") else {
        return;
    };
    // 16 MiB values need a larger packet than MariaDB's default; new sessions see it.
    c.execute_batch("SET GLOBAL max_allowed_packet = 67108864")
        .unwrap();
    let Some(mut c) = connect("MYRMEX_TEST_MYSQL_URL", "my") else {
        return;
    };
    let mariadb = c.server_info().unwrap().engine.as_str() == "mariadb";
    c.execute_batch(
        "DROP TABLE IF EXISTS ty_my;
         CREATE TABLE ty_my (id int PRIMARY KEY, b boolean, ti tinyint, i8 bigint, u8 bigint unsigned, f8 double, f4 float,
           n decimal(65,30), t mediumtext CHARACTER SET utf8mb4, bl longblob, d date, tm time(6), dt datetime(6),
           ts timestamp(6) NULL, j json, u char(36), e enum('sad','happy'), bits bit(12))",
    )
    .unwrap();
    let t = "ty_my";
    round_trip(&mut c, t, "b", Value::Bool(true), Value::Bool(true));
    round_trip(&mut c, t, "b", Value::Bool(false), Value::Bool(false));
    round_trip(&mut c, t, "ti", Value::Int(-128), Value::Int(-128));
    for i in [i64::MIN, i64::MAX] {
        round_trip(&mut c, t, "i8", Value::Int(i), Value::Int(i));
    }
    round_trip(
        &mut c,
        t,
        "u8",
        Value::Decimal("18446744073709551615".into()),
        Value::Decimal("18446744073709551615".into()),
    );
    round_trip(&mut c, t, "f8", Value::Float(1e308), Value::Float(1e308));
    round_trip(&mut c, t, "f4", Value::Float(1.5), Value::Float(1.5));
    let nan = c
        .execute(
            "INSERT INTO ty_my(id, f8) VALUES (2, ?)",
            &[Value::Float(f64::NAN)],
        )
        .unwrap_err()
        .to_string();
    assert!(nan.contains("NaN"), "{nan}");
    let wide = "12345678901234567890123456789012345.123456789012345678901234567890";
    round_trip(
        &mut c,
        t,
        "n",
        Value::Decimal(wide.into()),
        Value::Decimal(wide.into()),
    );
    round_trip(
        &mut c,
        t,
        "t",
        Value::Text("".into()),
        Value::Text("".into()),
    );
    round_trip(
        &mut c,
        t,
        "t",
        Value::Text("a\0b ünï 🐜".into()),
        Value::Text("a\0b ünï 🐜".into()),
    );
    round_trip(&mut c, t, "bl", big_blob(), big_blob());
    round_trip(
        &mut c,
        t,
        "d",
        Value::Date("1000-01-01".into()),
        Value::Date("1000-01-01".into()),
    );
    round_trip(
        &mut c,
        t,
        "d",
        Value::Date("9999-12-31".into()),
        Value::Date("9999-12-31".into()),
    );
    round_trip(
        &mut c,
        t,
        "tm",
        Value::Time("23:59:59.999999".into()),
        Value::Time("23:59:59.999999".into()),
    );
    round_trip(
        &mut c,
        t,
        "tm",
        Value::Text("-838:59:59".into()),
        Value::Text("-838:59:59".into()),
    );
    round_trip(
        &mut c,
        t,
        "dt",
        Value::Timestamp("1901-12-13 20:45:52.000001".into()),
        Value::Timestamp("1901-12-13 20:45:52.000001".into()),
    );
    round_trip(
        &mut c,
        t,
        "dt",
        Value::Timestamp("2240-02-29 12:00:00".into()),
        Value::Timestamp("2240-02-29 12:00:00".into()),
    );
    round_trip(
        &mut c,
        t,
        "ts",
        Value::TimestampTz("2038-01-19 03:14:07.000001+00:00".into()),
        Value::TimestampTz("2038-01-19 03:14:07.000001+00:00".into()),
    );
    round_trip(
        &mut c,
        t,
        "ts",
        Value::TimestampTz("2001-02-03 04:05:06+05:30".into()),
        Value::TimestampTz("2001-02-02 22:35:06+00:00".into()),
    );
    let json_out = if mariadb {
        Value::Text("{\"a\": [1, 2.5]}".into())
    } else {
        Value::Json("{\"a\": [1, 2.5]}".into())
    };
    round_trip(
        &mut c,
        t,
        "j",
        Value::Json("{\"a\": [1, 2.5]}".into()),
        json_out,
    );
    round_trip(
        &mut c,
        t,
        "u",
        uuid(),
        Value::Text("67e55044-10b1-426f-9247-bb680e5fe0c8".into()),
    );
    round_trip(
        &mut c,
        t,
        "e",
        Value::Text("happy".into()),
        Value::Text("happy".into()),
    );
    round_trip(
        &mut c,
        t,
        "bits",
        Value::Int(0b1010_1010_1010),
        Value::Int(0b1010_1010_1010),
    );
    // Out-of-range values are the server's clear error (strict mode), not truncation.
    let e = c
        .execute(
            "INSERT INTO ty_my(id, ti) VALUES (3, ?)",
            &[Value::Int(300)],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("Out of range") && e.contains("ti"), "{e}");
    let e = c
        .execute_query("SELECT POINT(1, 2) AS spot", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`spot`") && e.contains("geometry"), "{e}");
}
