//! One driver conformance suite, run against every engine: SQLite (always), PostgreSQL and
//! MySQL/MariaDB (through `MYRMEX_TEST_POSTGRES_URL` / `MYRMEX_TEST_MYSQL_URL`; skipped with a
//! message when unset, a failure when `MYRMEX_REQUIRE_SERVERS=1`).

use myrmex_abi::{CatalogKind, ErrorKind};
use myrmex_core::{DatabaseConnection, Error, Value};
use myrmex_tests::*;
use std::time::{Duration, Instant};

/// One engine under test.
pub struct Engine {
    name: &'static str,
    url: String,
}

impl Engine {
    fn sqlite() -> Option<Engine> {
        let dir = temp_dir("conformance-sqlite");
        Some(Engine {
            name: "sqlite",
            url: format!("sqlite://{}", dir.join("c.db").display()),
        })
    }
    fn postgres() -> Option<Engine> {
        server_url("MYRMEX_TEST_POSTGRES_URL").map(|url| Engine {
            name: "postgres",
            url,
        })
    }
    fn mysql() -> Option<Engine> {
        server_url("MYRMEX_TEST_MYSQL_URL").map(|url| Engine { name: "mysql", url })
    }

    fn connect(&self) -> DatabaseConnection {
        let mut c = DatabaseConnection::from_url(self.name, &self.url).unwrap();
        c.connect_with(&registry())
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name));
        c
    }

    /// A fresh table `name` (dropped first) with `columns` written for this engine.
    fn table(&self, c: &mut DatabaseConnection, name: &str, columns: &str) {
        c.execute_batch(&format!("DROP TABLE IF EXISTS {name}"))
            .unwrap();
        c.execute_batch(&format!("CREATE TABLE {name} ({columns})"))
            .unwrap();
    }

    fn pick<'a>(&self, sqlite: &'a str, postgres: &'a str, mysql: &'a str) -> &'a str {
        match self.name {
            "sqlite" => sqlite,
            "postgres" => postgres,
            _ => mysql,
        }
    }

    fn autoinc(&self) -> &'static str {
        match self.name {
            "sqlite" => "INTEGER PRIMARY KEY",
            "postgres" => "bigserial PRIMARY KEY",
            _ => "bigint AUTO_INCREMENT PRIMARY KEY",
        }
    }
}

fn kind(e: &Error) -> ErrorKind {
    e.plugin_error()
        .map(|p| p.kind)
        .unwrap_or(ErrorKind::INTERNAL)
}

mod cases {
    use super::*;

    pub fn server_info(e: &Engine) {
        let mut c = e.connect();
        let info = c.server_info().unwrap();
        let expected: &[&str] = match e.name {
            "mysql" => &["mysql", "mariadb"],
            other => &[other],
        };
        assert!(expected.contains(&info.engine.as_str()), "{info:?}");
        assert!(!info.version.is_empty());
        c.ping().unwrap();
    }

    pub fn execute_and_query(e: &Engine) {
        let mut c = e.connect();
        let t = format!("cf_exec_{}", e.name);
        e.table(
            &mut c,
            &t,
            &format!(
                "id {}, name varchar(50) NOT NULL, score double precision",
                e.autoinc()
            ),
        );
        let r = c
            .execute(
                &format!("INSERT INTO {t}(name, score) VALUES (?, ?), (?, ?)"),
                &["ann".into(), 1.5.into(), "bob".into(), Value::Null],
            )
            .unwrap();
        assert_eq!(r.rows_affected, 2);
        let rs = c
            .execute_query(
                &format!("SELECT id, name, score FROM {t} WHERE name = ? ORDER BY id"),
                &["ann".into()],
            )
            .unwrap();
        assert_eq!(rs.column_names(), ["id", "name", "score"]);
        assert_eq!(rs.len(), 1);
        assert_eq!(rs.row(0).unwrap()[1], Value::Text("ann".into()));
        assert_eq!(rs.row(0).unwrap()[2], Value::Float(1.5));
        let rs = c
            .execute_query(
                &format!("SELECT score FROM {t} WHERE name = ?"),
                &["bob".into()],
            )
            .unwrap();
        assert_eq!(rs.row(0).unwrap()[0], Value::Null);
        let r = c
            .execute(
                &format!("UPDATE {t} SET score = ? WHERE score IS NULL"),
                &[2.0.into()],
            )
            .unwrap();
        assert_eq!(r.rows_affected, 1);
        let none = c
            .execute_query(&format!("SELECT * FROM {t} WHERE 1 = 0"), &[])
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(
            none.columns().len(),
            3,
            "columns are known even without rows"
        );
    }

    pub fn placeholders_are_portable(e: &Engine) {
        let mut c = e.connect();
        let rs = c
            .execute_query(
                "SELECT '?' AS q, ? + 0 AS p, /* ? */ 'it''s ?' AS s -- ?\n",
                &[Value::Int(41)],
            )
            .unwrap();
        assert_eq!(
            rs.row(0).unwrap(),
            [
                Value::Text("?".into()),
                Value::Int(41),
                Value::Text("it's ?".into())
            ]
        );
        // A placeholder without a value is an error on every engine (on PostgreSQL a
        // statement run without parameters is sent as written, so the server rejects `?`).
        assert!(c.execute_query("SELECT ? + 0", &[]).is_err());
        assert!(c
            .execute_query("SELECT ? + 0", &[Value::Int(1), Value::Int(2)])
            .is_err());
    }

    pub fn streaming_in_batches(e: &Engine) {
        let mut c = e.connect();
        let n = 5_000i64;
        // Portable row generator (MariaDB caps recursive CTEs at 1000 iterations by default).
        let digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        let sql = format!(
            "SELECT a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 1 AS i, 'row' AS label FROM {digits} a, {digits} b, {digits} c, {digits} d ORDER BY i LIMIT ?"
        );
        let sql = sql.as_str();
        let mut stream = c.query_stream(sql, &[Value::Int(n)]).unwrap();
        let mut count = 0;
        while let Some(row) = stream.next_row().unwrap() {
            count += 1;
            assert_eq!(row[0], Value::Int(count));
        }
        assert_eq!(count, n);
        drop(stream);
        // Abandoning a stream early leaves the connection usable.
        let mut s = c.query_stream(sql, &[Value::Int(n)]).unwrap();
        s.next_row().unwrap();
        drop(s);
        assert_eq!(
            c.execute_query("SELECT 7", &[]).unwrap().row(0).unwrap()[0],
            Value::Int(7)
        );
    }

    pub fn transactions_and_savepoints(e: &Engine) {
        let mut c = e.connect();
        let t = format!("cf_tx_{}", e.name);
        e.table(&mut c, &t, "x integer");
        let mut tx = c.transaction().unwrap();
        tx.execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
            .unwrap();
        tx.commit().unwrap();
        // Dropped after the error: rolls back.
        let failed: Result<(), Error> = (|| {
            let mut tx = c.transaction()?;
            tx.execute(&format!("INSERT INTO {t} VALUES (2)"), &[])?;
            tx.execute("INSERT INTO cf_no_such_table VALUES (3)", &[])?;
            tx.commit()
        })();
        assert!(failed.is_err());
        c.begin().unwrap();
        assert!(c.in_transaction());
        c.execute(&format!("INSERT INTO {t} VALUES (4)"), &[])
            .unwrap();
        c.savepoint("sp1").unwrap();
        c.execute(&format!("INSERT INTO {t} VALUES (5)"), &[])
            .unwrap();
        c.rollback_to_savepoint("sp1").unwrap();
        c.release_savepoint("sp1").unwrap();
        c.commit().unwrap();
        assert!(!c.in_transaction());
        let rs = c
            .execute_query(&format!("SELECT x FROM {t} ORDER BY x"), &[])
            .unwrap();
        let xs: Vec<Value> = rs.rows().map(|r| r[0].clone()).collect();
        assert_eq!(xs, [Value::Int(1), Value::Int(4)]);
    }

    pub fn errors_are_classified_and_named(e: &Engine) {
        let mut c = e.connect();
        let err = c.execute_query("SELEC 1", &[]).unwrap_err();
        assert_eq!(kind(&err), ErrorKind::SYNTAX, "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}: ", e.name)) && text.contains("[statement: SELEC 1]"),
            "{text}"
        );
        let err = c
            .execute_query("SELECT * FROM cf_missing_table", &[])
            .unwrap_err();
        assert_eq!(kind(&err), ErrorKind::NOT_FOUND, "{err}");
        let t = format!("cf_err_{}", e.name);
        e.table(&mut c, &t, "id integer PRIMARY KEY");
        c.execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
            .unwrap();
        let err = c
            .execute(&format!("INSERT INTO {t} VALUES (1)"), &[])
            .unwrap_err();
        assert_eq!(kind(&err), ErrorKind::CONSTRAINT, "{err}");
        if e.name != "sqlite" {
            let sqlstate = err
                .plugin_error()
                .unwrap()
                .sqlstate
                .as_ref()
                .map(|s| s.to_string())
                .into_option();
            assert_eq!(
                sqlstate.as_deref(),
                Some(e.pick("", "23505", "23000")),
                "{err}"
            );
        }

        // The connection is still usable after errors.
        assert_eq!(c.execute_query("SELECT 1", &[]).unwrap().len(), 1);
    }

    pub fn introspection(e: &Engine) {
        let mut c = e.connect();
        let (p, ch) = (
            format!("cf_parent_{}", e.name),
            format!("cf_child_{}", e.name),
        );
        c.execute_batch(&format!("DROP TABLE IF EXISTS {ch}"))
            .unwrap();
        e.table(
            &mut c,
            &p,
            "id integer PRIMARY KEY, code varchar(10) NOT NULL UNIQUE",
        );
        e.table(
            &mut c,
            &ch,
            &format!("id integer NOT NULL, parent_id integer, note varchar(20) DEFAULT 'none', PRIMARY KEY (id), FOREIGN KEY (parent_id) REFERENCES {p}(id) ON DELETE CASCADE"),
        );
        c.execute_batch(&format!("CREATE INDEX cf_idx_{ch} ON {ch}(note)"))
            .unwrap();
        let names: Vec<String> = c
            .tables()
            .unwrap()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        assert!(names.contains(&p) && names.contains(&ch), "{names:?}");
        let d = c.describe(&ch).unwrap();
        let cols: Vec<(&str, bool)> = d
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.nullable))
            .collect();
        assert_eq!(cols, [("id", false), ("parent_id", true), ("note", true)]);
        assert!(
            d.columns[2]
                .default
                .as_ref()
                .map(|s| s.as_str())
                .into_option()
                .is_some_and(|s| s.contains("none")),
            "{:?}",
            d.columns[2]
        );
        assert_eq!(
            d.primary_key.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["id"]
        );
        assert_eq!(d.foreign_keys.len(), 1);
        let fk = &d.foreign_keys[0];
        assert_eq!(
            (
                fk.ref_table.as_str(),
                fk.columns[0].as_str(),
                fk.ref_columns[0].as_str(),
                fk.on_delete.as_str()
            ),
            (p.as_str(), "parent_id", "id", "CASCADE")
        );
        assert!(
            d.indexes
                .iter()
                .any(|i| i.name.as_str() == format!("cf_idx_{ch}")
                    && i.columns[0].as_str() == "note"
                    && !i.unique),
            "{:?}",
            d.indexes
        );
        let parent = c.describe(&p).unwrap();
        assert!(
            parent
                .indexes
                .iter()
                .any(|i| i.unique && !i.primary && i.columns[0].as_str() == "code"),
            "{:?}",
            parent.indexes
        );
        let missing = c.describe("cf_nope").unwrap_err();
        assert_eq!(kind(&missing), ErrorKind::NOT_FOUND);
    }

    pub fn cancel_a_running_statement(e: &Engine) {
        let mut c = e.connect();
        let token = c.cancel_token().expect("cancel supported");
        let sql = e.pick(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s) SELECT count(*) FROM s",
            "SELECT pg_sleep(60)",
                        // SLEEP() and BENCHMARK() return normally when killed; a big join fails with 1317.
            "SELECT count(*) FROM information_schema.collations a, information_schema.collations b, information_schema.collations c, information_schema.collations d",
        );
        let started = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            token.cancel().unwrap();
        });
        let err = c.execute_query(sql, &[]).unwrap_err();
        t.join().unwrap();
        assert_eq!(kind(&err), ErrorKind::CANCELLED, "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(
            c.execute_query("SELECT 1", &[]).unwrap().len(),
            1,
            "usable after cancel"
        );
    }

    pub fn unicode_and_empty_text(e: &Engine) {
        let mut c = e.connect();
        let t = format!("cf_text_{}", e.name);
        e.table(
            &mut c,
            &t,
            e.pick("s TEXT", "s text", "s mediumtext CHARACTER SET utf8mb4"),
        );

        for s in ["", "ünïcödé 漢字 🐜", "a'b\"c\\d", &"x".repeat(70_000)] {
            c.execute(&format!("DELETE FROM {t}"), &[]).unwrap();
            c.execute(&format!("INSERT INTO {t} VALUES (?)"), &[s.into()])
                .unwrap();
            let rs = c.execute_query(&format!("SELECT s FROM {t}"), &[]).unwrap();
            assert_eq!(
                rs.row(0).unwrap()[0],
                Value::Text(s.into()),
                "{}",
                &s[..s.len().min(20)]
            );
        }
    }

    /// Empty and comment-only statements: nothing to run is no error, on every engine and
    /// through every entry point, and the connection stays usable.
    pub fn blank_statements_return_nothing(e: &Engine) {
        let mut c = e.connect();
        for sql in ["", " ", ";", "-- todo", "/* x */", "-- a\n;"] {
            c.execute_batch(sql)
                .unwrap_or_else(|err| panic!("execute_batch {sql:?}: {err}"));
            let r = c
                .execute(sql, &[])
                .unwrap_or_else(|err| panic!("execute {sql:?}: {err}"));
            assert_eq!(r.rows_affected, 0, "execute {sql:?}");
            let rs = c
                .execute_query(sql, &[])
                .unwrap_or_else(|err| panic!("query {sql:?}: {err}"));
            assert_eq!((rs.columns().len(), rs.len()), (0, 0), "query {sql:?}");
            let mut stream = c
                .query_stream(sql, &[])
                .unwrap_or_else(|err| panic!("cursor {sql:?}: {err}"));
            assert_eq!(stream.columns().len(), 0, "cursor {sql:?}");
            assert!(stream.next_row().unwrap().is_none(), "cursor {sql:?}");
            drop(stream);
            assert_eq!(
                c.execute_query("SELECT 1", &[]).unwrap().len(),
                1,
                "usable after {sql:?}"
            );
        }
        // A value where none is given is still the caller's mistake.
        let err = c.execute_query("-- todo", &[Value::Int(1)]).unwrap_err();
        assert_eq!(kind(&err), ErrorKind::INVALID_INPUT, "{err}");
    }

    /// Catalog listings through the host: what the test made is listed and a pattern
    /// filters it; each engine answers for the kinds it has, and says "unsupported" (naming
    /// the kind's reason) for the ones it lacks.
    pub fn catalog_listings(e: &Engine) {
        let mut c = e.connect();
        let (t, v, i) = (
            format!("cf_cat_{}", e.name),
            format!("cf_catv_{}", e.name),
            format!("cf_cati_{}", e.name),
        );
        c.execute_batch(&format!("DROP VIEW IF EXISTS {v}"))
            .unwrap();
        e.table(&mut c, &t, "id integer PRIMARY KEY, note varchar(20)");
        c.execute_batch(&format!(
            "CREATE VIEW {v} AS SELECT id FROM {t}; CREATE INDEX {i} ON {t} (note)"
        ))
        .unwrap();
        let names = |rs: &myrmex_core::ResultSet| -> Vec<String> {
            (0..rs.len())
                .filter_map(|r| match rs.get(r, "name") {
                    Some(Value::Text(n)) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        };

        let tables = c.catalog(CatalogKind::TABLES, "cf_cat_*").unwrap();
        assert!(names(&tables).contains(&t), "{:?}", names(&tables));
        assert!(!names(&tables).contains(&v), "{:?}", names(&tables));
        let views = c.catalog(CatalogKind::VIEWS, &v).unwrap();
        assert_eq!(names(&views), [v.as_str()]);
        let indexes = c.catalog(CatalogKind::INDEXES, "cf_cati_*").unwrap();
        assert!(names(&indexes).contains(&i), "{:?}", names(&indexes));
        assert!(!c.catalog(CatalogKind::DATABASES, "").unwrap().is_empty());
        assert!(!c.catalog(CatalogKind::SCHEMAS, "").unwrap().is_empty());
        assert!(!c
            .catalog(CatalogKind::FUNCTIONS, "")
            .unwrap()
            .columns()
            .is_empty());

        let roles = c.catalog(CatalogKind::ROLES, "");
        let sequences = c.catalog(CatalogKind::SEQUENCES, "");
        match e.name {
            "sqlite" => {
                let err = roles.unwrap_err();
                assert_eq!(kind(&err), ErrorKind::UNSUPPORTED, "{err}");
                assert!(err.to_string().contains("no users or roles"), "{err}");
                assert_eq!(
                    sequences.unwrap().column_names(),
                    ["schema", "table", "seq"]
                );
            }
            "postgres" => {
                assert!(!roles.unwrap().is_empty());
                assert_eq!(
                    sequences.unwrap().column_names(),
                    ["schema", "name", "data_type", "last_value", "owner"]
                );
            }
            _ => {
                assert!(!roles.unwrap().is_empty());
                let mariadb = c.server_info().unwrap().engine.as_str() == "mariadb";
                match sequences {
                    Ok(rs) => assert!(mariadb, "{:?}", rs.column_names()),
                    Err(err) => assert_eq!(kind(&err), ErrorKind::UNSUPPORTED, "{err}"),
                }
            }
        }
        let err = c.catalog(CatalogKind(200), "").unwrap_err();
        assert_eq!(kind(&err), ErrorKind::UNSUPPORTED, "{err}");
        assert!(err.to_string().contains("objects of kind 200"), "{err}");

        c.execute_batch(&format!("DROP VIEW {v}")).unwrap();
        c.execute_batch(&format!("DROP TABLE {t}")).unwrap();
    }
}

macro_rules! per_engine {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $case() { if let Some(e) = super::Engine::sqlite() { super::cases::$case(&e) } } )*
        }
        mod postgres {
            $( #[test] fn $case() { if let Some(e) = super::Engine::postgres() { super::cases::$case(&e) } } )*
        }
        mod mysql {
            $( #[test] fn $case() { if let Some(e) = super::Engine::mysql() { super::cases::$case(&e) } } )*
        }
    };
}

per_engine!(
    server_info,
    execute_and_query,
    placeholders_are_portable,
    streaming_in_batches,
    transactions_and_savepoints,
    errors_are_classified_and_named,
    introspection,
    cancel_a_running_statement,
    unicode_and_empty_text,
    blank_statements_return_nothing,
    catalog_listings,
);

#[test]
fn a_failing_statement_anywhere_in_a_batch_is_an_error() {
    for e in [Engine::sqlite(), Engine::postgres(), Engine::mysql()]
        .into_iter()
        .flatten()
    {
        let mut c = e.connect();
        let err = c.execute_batch("SELECT 1; SELEC 2; SELECT 3").unwrap_err();
        assert_eq!(kind(&err), ErrorKind::SYNTAX, "{}: {err}", e.name);
    }
}

/// The portable suite of `myrmex-plugin-test`, the one third-party drivers run, passes on
/// every in-tree engine.
mod portable_suite {
    use super::*;

    #[test]
    fn sqlite() {
        let e = Engine::sqlite().unwrap();
        myrmex_plugin_test::Suite::new(&e.url)
            .plugin_dir(ensure_built())
            .run_all();
    }

    #[test]
    fn postgres() {
        if let Some(e) = Engine::postgres() {
            myrmex_plugin_test::Suite::new(&e.url)
                .plugin_dir(ensure_built())
                .run_all();
        }
    }

    #[test]
    fn mysql() {
        if let Some(e) = Engine::mysql() {
            myrmex_plugin_test::Suite::new(&e.url)
                .plugin_dir(ensure_built())
                .run_all();
        }
    }
}
