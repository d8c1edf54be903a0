//! Drivers that never hang or panic: connect deadlines against silent servers and the wrong
//! protocol, cancellation, clean messages, SQLite text that is not UTF-8, and sessions the
//! server ends. Server cases run against `MYRMEX_TEST_POSTGRES_URL` / `MYRMEX_TEST_MYSQL_URL`.

use myrmex_abi::ErrorKind;
use myrmex_core::{DatabaseConnection, Error, Value};
use myrmex_tests::*;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn kind(e: &Error) -> ErrorKind {
    e.plugin_error()
        .map(|p| p.kind)
        .unwrap_or(ErrorKind::INTERNAL)
}

fn open(engine: &str, url: &str) -> Result<DatabaseConnection, Error> {
    let mut c = DatabaseConnection::from_url(engine, url)?;
    c.connect_with(&registry())?;
    Ok(c)
}

fn connect(engine: &str, url: &str) -> DatabaseConnection {
    open(engine, url).unwrap_or_else(|e| panic!("connect {engine}: {e}"))
}

fn assert_gives_up(engine: &str, url: &str, within: Duration, says: &[&str]) {
    // The first registry of a test process builds the workspace: not part of the timing.
    ensure_built();
    let started = Instant::now();
    let err = open(engine, url).map(|_| ()).unwrap_err();
    let took = started.elapsed();
    assert!(took < within, "{engine}: took {took:?}: {err}");
    assert!(
        matches!(kind(&err), ErrorKind::TIMEOUT | ErrorKind::CONNECTION),
        "{engine}: {:?} {err}",
        kind(&err)
    );
    let text = err.to_string();
    for s in says {
        assert!(text.contains(s), "{engine}: `{s}` missing in: {text}");
    }
    assert!(!text.contains('{'), "{engine}: debug formatting in: {text}");
}

#[test]
fn a_silent_server_fails_within_the_connect_timeout() {
    let port = silent_server();
    let addr = format!("127.0.0.1:{port}");
    for (engine, url) in [
        (
            "postgres",
            format!("postgres://postgres@{addr}/test?connect_timeout=2"),
        ),
        (
            "postgres",
            format!("postgres://postgres@{addr}/test?connect_timeout=2&sslmode=disable"),
        ),
        (
            "mysql",
            format!("mysql://root@{addr}/test?connect_timeout=2"),
        ),
    ] {
        assert_gives_up(engine, &url, Duration::from_secs(5), &[&addr, "2 s"]);
    }
}

#[test]
fn the_default_connect_timeout_is_ten_seconds() {
    ensure_built();
    let port = silent_server();
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    assert_gives_up(
        "mysql",
        &format!("mysql://root@{addr}/test"),
        Duration::from_secs(14),
        &[&addr, "10 s"],
    );
    assert!(started.elapsed() >= Duration::from_secs(9));
}

#[test]
fn the_wrong_protocol_on_a_port_fails_quickly_and_says_so() {
    let (Some(pg), Some(my)) = (
        server_url("MYRMEX_TEST_POSTGRES_URL"),
        server_url("MYRMEX_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let port = |url: &str| {
        url.rsplit_once(':')
            .unwrap()
            .1
            .split('/')
            .next()
            .unwrap()
            .to_string()
    };
    let (pg_port, my_port) = (port(&pg), port(&my));
    assert_gives_up(
        "mysql",
        &format!("mysql://root@127.0.0.1:{pg_port}/x?connect_timeout=3"),
        Duration::from_secs(6),
        &["did not answer as a MySQL server"],
    );
    assert_gives_up(
        "postgres",
        &format!("postgres://postgres@127.0.0.1:{my_port}/x?connect_timeout=3"),
        Duration::from_secs(6),
        &["did not answer as a PostgreSQL server"],
    );
}

#[test]
fn a_server_that_hangs_up_at_once_is_not_taken_for_a_database() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        while let Ok((s, _)) = l.accept() {
            drop(s);
        }
    });
    assert_gives_up(
        "postgres",
        &format!("postgres://postgres@{addr}/x?connect_timeout=3&sslmode=disable"),
        Duration::from_secs(6),
        &["did not answer as a PostgreSQL server"],
    );
    assert_gives_up(
        "mysql",
        &format!("mysql://root@{addr}/x?connect_timeout=3"),
        Duration::from_secs(6),
        &["did not answer as a MySQL server"],
    );
}

#[test]
fn a_connect_timeout_of_zero_or_words_is_refused() {
    for url in [
        "postgres://postgres@127.0.0.1:1/x?connect_timeout=0",
        "mysql://root@127.0.0.1:1/x?connect_timeout=soon",
    ] {
        let engine = url.split(':').next().unwrap();
        let err = open(engine, url).map(|_| ()).unwrap_err();
        // Refused when the URL is read, or at the latest when connecting: never a hang.
        assert!(
            matches!(err, myrmex_core::Error::Url { .. }) || kind(&err) == ErrorKind::INVALID_INPUT,
            "{err}"
        );
        assert!(err.to_string().contains("connect_timeout"), "{err}");
    }
}

fn cancel_after(c: &DatabaseConnection, delay: Duration) -> std::thread::JoinHandle<()> {
    let token = c.cancel_token().expect("cancel supported");
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        token.cancel().unwrap();
    })
}

#[test]
fn an_endless_sqlite_recursive_query_can_be_cancelled() {
    let mut c = connect("sqlite", "sqlite::memory:");
    c.execute("CREATE TABLE keep (x)", &[]).unwrap();
    let t = cancel_after(&c, Duration::from_millis(300));
    let started = Instant::now();
    let err = c
        .execute_query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c",
            &[],
        )
        .unwrap_err();
    t.join().unwrap();
    assert_eq!(kind(&err), ErrorKind::CANCELLED, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The in-memory database survived.
    assert!(c.execute_query("SELECT * FROM keep", &[]).is_ok());
}

#[test]
fn server_statements_can_be_cancelled() {
    for (engine, var, sql) in [
        ("postgres", "MYRMEX_TEST_POSTGRES_URL", "SELECT pg_sleep(60)"),
        (
            "mysql",
            "MYRMEX_TEST_MYSQL_URL",
            "SELECT count(*) FROM information_schema.collations a, information_schema.collations b, information_schema.collations c, information_schema.collations d",
        ),
    ] {
        let Some(url) = server_url(var) else { continue };
        let mut c = connect(engine, &url);
        let t = cancel_after(&c, Duration::from_millis(500));
        let err = c.execute_query(sql, &[]).unwrap_err();
        t.join().unwrap();
        assert_eq!(kind(&err), ErrorKind::CANCELLED, "{engine}: {err}");
        assert_eq!(c.execute_query("SELECT 1", &[]).unwrap().len(), 1);
    }
}

#[test]
fn postgres_void_reads_as_null() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let mut c = connect("postgres", &url);
    let rs = c.execute_query("SELECT pg_sleep(0)", &[]).unwrap();
    assert_eq!(rs.row(0).unwrap()[0], Value::Null);
}

#[test]
fn mysql_messages_are_plain() {
    let Some(url) = server_url("MYRMEX_TEST_MYSQL_URL") else {
        return;
    };
    let mut c = connect("mysql", &url);
    let err = c.execute("SELEC 1", &[]).unwrap_err();
    let text = err.to_string();
    assert_eq!(kind(&err), ErrorKind::SYNTAX);
    assert!(text.contains("1064") && text.contains("42000"), "{text}");
    for junk in ["MySqlError", "DriverError", "IoError", "{"] {
        assert!(!text.contains(junk), "{text}");
    }
    let err = open("mysql", "mysql://root@127.0.0.1:1/x?connect_timeout=2")
        .map(|_| ())
        .unwrap_err();
    let text = err.to_string();
    for junk in ["DriverError", "IoError", "{"] {
        assert!(!text.contains(junk), "{text}");
    }
}

#[test]
fn sqlite_text_that_is_not_utf8_names_column_and_row() {
    let sql = "SELECT v AS x FROM (SELECT 1 AS n, 'a' AS v UNION ALL SELECT 2, 'b' \
               UNION ALL SELECT 3, CAST(x'ff' AS TEXT)) ORDER BY n";
    let mut c = connect("sqlite", "sqlite::memory:");
    let err = c.execute_query(sql, &[]).unwrap_err();
    assert_eq!(kind(&err), ErrorKind::TYPE);
    let text = err.to_string();
    assert!(text.contains("column \"x\" of row 3"), "{text}");
    assert!(text.contains("text=lossy"), "{text}");

    let mut c = connect("sqlite", "sqlite::memory:?text=lossy");
    let rs = c.execute_query(sql, &[]).unwrap();
    assert_eq!(rs.row(2).unwrap()[0], Value::Text("\u{fffd}".into()));
    let mut c = connect("sqlite", "sqlite::memory:?text=blob");
    let rs = c.execute_query(sql, &[]).unwrap();
    assert_eq!(rs.row(2).unwrap()[0], Value::Blob(vec![0xff].into()));
    assert_eq!(rs.row(0).unwrap()[0], Value::Text("a".into()));
}

fn assert_closed(engine: &str, c: &mut DatabaseConnection) {
    let first = c.execute_query("SELECT 1", &[]).unwrap_err();
    assert_eq!(kind(&first), ErrorKind::CLOSED, "{engine}: {first}");
    for _ in 0..2 {
        let err = c.execute_query("SELECT 1", &[]).unwrap_err();
        assert_eq!(kind(&err), ErrorKind::CLOSED, "{engine}: {err}");
        assert!(
            err.to_string()
                .contains("the server closed this connection"),
            "{err}"
        );
        let err = c.ping().unwrap_err();
        assert_eq!(kind(&err), ErrorKind::CLOSED, "{engine} ping: {err}");
        let err = c.execute("SELECT 1", &[]).unwrap_err();
        assert_eq!(kind(&err), ErrorKind::CLOSED, "{engine}: {err}");
    }
}

#[test]
fn a_session_the_server_ended_is_closed_for_every_later_call() {
    if let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        let mut victim = connect("postgres", &url);
        let pid = match &victim
            .execute_query("SELECT pg_backend_pid()", &[])
            .unwrap()
            .row(0)
            .unwrap()[0]
        {
            Value::Int(p) => *p,
            other => panic!("pid {other:?}"),
        };
        let mut killer = connect("postgres", &url);
        killer
            .execute_query(&format!("SELECT pg_terminate_backend({pid})"), &[])
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_closed("postgres", &mut victim);
    }
    if let Some(url) = server_url("MYRMEX_TEST_MYSQL_URL") {
        let mut victim = connect("mysql", &url);
        let id = match &victim
            .execute_query("SELECT CONNECTION_ID()", &[])
            .unwrap()
            .row(0)
            .unwrap()[0]
        {
            Value::Int(p) => *p,
            other => panic!("id {other:?}"),
        };
        let mut killer = connect("mysql", &url);
        killer.execute(&format!("KILL {id}"), &[]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_closed("mysql", &mut victim);
    }
}

/// A proxy to `upstream` that relays connections while the flag is set and leaves later ones
/// unanswered: the session works, a later connection to the same address (a cancel) hangs.
/// (A PostgreSQL cancel request waits for an answer only in its TLS negotiation, which the
/// default `sslmode=prefer` starts.)
fn relay_while(upstream: &str) -> (String, Arc<AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let upstream = upstream.to_string();
    let relay = Arc::new(AtomicBool::new(true));
    let flag = relay.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            let Ok(client) = s else { break };
            if !flag.load(Ordering::SeqCst) {
                held.push(client);
                continue;
            }
            let server = std::net::TcpStream::connect(&upstream).unwrap();
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || std::io::copy(&mut c1, &mut s1));
            std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
        }
    });
    (addr, relay)
}

#[test]
fn a_cancel_connection_honours_the_connect_timeout() {
    ensure_built();
    for (engine, var, port) in [
        ("postgres", "MYRMEX_TEST_POSTGRES_URL", 5432),
        ("mysql", "MYRMEX_TEST_MYSQL_URL", 3306),
    ] {
        let Some(url) = server_url(var) else { continue };
        let port = url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next()?.parse().ok())
            .unwrap_or(port);
        let (proxy, relay) = relay_while(&format!("127.0.0.1:{port}"));
        let user = if engine == "postgres" {
            "postgres"
        } else {
            "root"
        };
        let db = url.rsplit('/').next().unwrap();
        let mut c = connect(
            engine,
            &format!("{engine}://{user}@{proxy}/{db}?connect_timeout=2"),
        );
        relay.store(false, Ordering::SeqCst);
        assert_eq!(c.execute_query("SELECT 1", &[]).unwrap().len(), 1);
        let token = c.cancel_token().unwrap();
        let started = Instant::now();
        let err = token.cancel().unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{engine}: {err}"
        );
        assert_eq!(err.kind, ErrorKind::TIMEOUT, "{engine}: {err}");
    }
}
