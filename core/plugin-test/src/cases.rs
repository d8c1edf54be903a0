//! The cases: each opens its own connections, uses portable SQL, drops what it made.

use crate::{Outcome, Target};
use myrmex_abi::{CatalogKind, ErrorKind, PlaceholderStyle};
use myrmex_core::migrate::DownTarget;
use myrmex_core::{DatabaseConnection, Error, MigrationManager, ResultSet, Value};

type Case = fn(&Target) -> Outcome;

/// Every case, in the order they run.
pub const ALL: &[(&str, Case)] = &[
    ("connect_and_describe_itself", connect_and_describe_itself),
    ("execute_and_query", execute_and_query),
    ("streaming_in_batches", streaming_in_batches),
    ("transactions_and_savepoints", transactions_and_savepoints),
    ("errors_are_classified", errors_are_classified),
    ("text_round_trips", text_round_trips),
    ("blank_statements", blank_statements),
    ("catalog", catalog),
    ("catalog_lists", catalog_lists),
    ("schema_round_trip", schema_round_trip),
    ("migrations_up_and_down", migrations_up_and_down),
    ("migration_lock", migration_lock),
    ("scratch_database", scratch_database),
];

/// `Err(text)` of a failed check.
type Check = Result<(), String>;

fn outcome(r: Check) -> Outcome {
    match r {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    }
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn s<T>(r: myrmex_core::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn kind(e: &Error) -> Option<ErrorKind> {
    e.plugin_error().map(|p| p.kind)
}

/// Placeholder `n` (1-based) in the driver's style.
fn ph(c: &mut DatabaseConnection, n: usize) -> Result<String, String> {
    let d = s(c.dialect())?;
    Ok(if d.placeholders == PlaceholderStyle::DOLLAR {
        format!("${n}")
    } else {
        "?".into()
    })
}

fn fresh_table(c: &mut DatabaseConnection, name: &str, columns: &str) -> Check {
    s(c.execute_batch(&format!("DROP TABLE IF EXISTS {name}")))?;
    s(c.execute_batch(&format!("CREATE TABLE {name} ({columns})")))
}

fn drop_table(c: &mut DatabaseConnection, name: &str) {
    let _ = c.execute_batch(&format!("DROP TABLE IF EXISTS {name}"));
}

fn connect_and_describe_itself(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let info = s(c.server_info())?;
        ensure(!info.engine.is_empty() && !info.version.is_empty(), || {
            format!("server_info is empty: {info:?}")
        })?;
        let d = s(c.dialect())?;
        ensure(!d.name.is_empty(), || "the dialect has no name".into())?;
        s(c.ping())?;
        let shown = c.url();
        ensure(!shown.is_empty(), || "the driver shows an empty URL".into())?;
        let options = s(t.registry().parse_url(t.url(), std::path::Path::new("")))?;
        ensure(
            options.password.is_empty() || !shown.contains(options.password.as_str()),
            || "the URL the driver shows contains the password".into(),
        )
    })())
}

fn execute_and_query(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let table = format!("{}exec", t.prefix);
        fresh_table(
            &mut c,
            &table,
            "id integer PRIMARY KEY, name varchar(50) NOT NULL, score double precision",
        )?;
        let (p1, p2, p3) = (ph(&mut c, 1)?, ph(&mut c, 2)?, ph(&mut c, 3)?);
        let insert = format!("INSERT INTO {table} (id, name, score) VALUES ({p1}, {p2}, {p3})");
        let r = s(c.execute(&insert, &[Value::Int(1), "ann".into(), 1.5.into()]))?;
        ensure(r.rows_affected == 1, || {
            format!("insert affected {} rows", r.rows_affected)
        })?;
        s(c.execute(&insert, &[Value::Int(2), "bob".into(), Value::Null]))?;
        let rs = s(c.execute_query(
            &format!("SELECT id, name, score FROM {table} WHERE name = {p1}"),
            &["ann".into()],
        ))?;
        ensure(rs.column_names() == ["id", "name", "score"], || {
            format!("columns {:?}", rs.column_names())
        })?;
        let row = rs.row(0).ok_or("no row for ann")?;
        ensure(
            row[0] == Value::Int(1)
                && row[1] == Value::Text("ann".into())
                && row[2] == Value::Float(1.5),
            || format!("row {row:?}"),
        )?;
        let rs = s(c.execute_query(&format!("SELECT score FROM {table} WHERE id = 2"), &[]))?;
        ensure(rs.row(0).is_some_and(|r| r[0].is_null()), || {
            "NULL did not come back as null".into()
        })?;
        let r = s(c.execute(
            &format!("UPDATE {table} SET score = {p1} WHERE score IS NULL"),
            &[2.0.into()],
        ))?;
        ensure(r.rows_affected == 1, || {
            format!("update affected {} rows", r.rows_affected)
        })?;
        let none = s(c.execute_query(&format!("SELECT * FROM {table} WHERE 1 = 0"), &[]))?;
        ensure(none.is_empty() && none.columns().len() == 3, || {
            "an empty result must still name its columns".into()
        })?;
        drop_table(&mut c, &table);
        Ok(())
    })())
}

fn streaming_in_batches(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let table = format!("{}stream", t.prefix);
        fresh_table(&mut c, &table, "n integer NOT NULL")?;
        let p1 = ph(&mut c, 1)?;
        {
            let mut tx = s(c.transaction())?;
            for n in 0..2500 {
                s(tx.execute(
                    &format!("INSERT INTO {table} (n) VALUES ({p1})"),
                    &[Value::Int(n)],
                ))?;
            }
            s(tx.commit())?;
        }
        let mut stream = s(c.query_stream(&format!("SELECT n FROM {table} ORDER BY n"), &[]))?;
        let mut count = 0i64;
        while let Some(row) = s(stream.next_row())? {
            ensure(row[0] == Value::Int(count), || {
                format!("row {count} is {:?}", row[0])
            })?;
            count += 1;
        }
        drop(stream);
        ensure(count == 2500, || format!("streamed {count} of 2500 rows"))?;
        drop_table(&mut c, &table);
        Ok(())
    })())
}

fn count(c: &mut DatabaseConnection, table: &str) -> Result<i64, String> {
    let rs = s(c.execute_query(&format!("SELECT count(*) FROM {table}"), &[]))?;
    match rs.row(0).map(|r| &r[0]) {
        Some(Value::Int(n)) => Ok(*n),
        Some(Value::Decimal(d)) => d.parse().map_err(|_| format!("count(*) gave {d}")),
        other => Err(format!("count(*) gave {other:?}")),
    }
}

fn transactions_and_savepoints(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let table = format!("{}tx", t.prefix);
        fresh_table(&mut c, &table, "x integer")?;
        let mut tx = s(c.transaction())?;
        s(tx.execute(&format!("INSERT INTO {table} VALUES (1)"), &[]))?;
        s(tx.commit())?;
        {
            let mut tx = s(c.transaction())?;
            s(tx.execute(&format!("INSERT INTO {table} VALUES (2)"), &[]))?;
            // Dropped without commit: rolled back.
        }
        ensure(!c.in_transaction(), || {
            "a dropped transaction stayed open".into()
        })?;
        ensure(count(&mut c, &table)? == 1, || {
            "a dropped transaction was not rolled back".into()
        })?;
        let mut tx = s(c.transaction())?;
        s(tx.execute(&format!("INSERT INTO {table} VALUES (3)"), &[]))?;
        {
            let mut sp = s(tx.savepoint("mpt_sp"))?;
            s(sp.execute(&format!("INSERT INTO {table} VALUES (4)"), &[]))?;
        }
        s(tx.commit())?;
        ensure(count(&mut c, &table)? == 2, || {
            "a dropped savepoint was not rolled back to".into()
        })?;
        drop_table(&mut c, &table);
        Ok(())
    })())
}

fn errors_are_classified(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let err = c
            .execute_query("SELEC 1", &[])
            .err()
            .ok_or("`SELEC 1` succeeded")?;
        ensure(kind(&err) == Some(ErrorKind::SYNTAX), || {
            format!("a syntax error came as {:?}: {err}", kind(&err))
        })?;
        ensure(err.to_string().contains("SELEC 1"), || {
            format!("the error does not name the statement: {err}")
        })?;
        let missing = format!("{}no_such_table", t.prefix);
        let err = c
            .execute_query(&format!("SELECT * FROM {missing}"), &[])
            .err()
            .ok_or("a missing table was found")?;
        ensure(kind(&err) == Some(ErrorKind::NOT_FOUND), || {
            format!("a missing table came as {:?}: {err}", kind(&err))
        })?;
        let table = format!("{}err", t.prefix);
        fresh_table(&mut c, &table, "id integer PRIMARY KEY")?;
        s(c.execute(&format!("INSERT INTO {table} VALUES (1)"), &[]))?;
        let err = c
            .execute(&format!("INSERT INTO {table} VALUES (1)"), &[])
            .err()
            .ok_or("a duplicate key was accepted")?;
        ensure(kind(&err) == Some(ErrorKind::CONSTRAINT), || {
            format!("a duplicate key came as {:?}: {err}", kind(&err))
        })?;
        let err = c
            .execute_batch(&format!("CREATE TABLE {table} (id integer)"))
            .err()
            .ok_or("a second CREATE TABLE succeeded")?;
        ensure(kind(&err) == Some(ErrorKind::ALREADY_EXISTS), || {
            format!("creating an existing table came as {:?}: {err}", kind(&err))
        })?;
        let err = c
            .execute_batch(&format!("DROP TABLE {missing}"))
            .err()
            .ok_or("dropping a missing table succeeded")?;
        ensure(matches!(kind(&err), Some(ErrorKind::ALREADY_GONE)), || {
            format!("dropping a missing table came as {:?}: {err}", kind(&err))
        })?;
        ensure(s(c.execute_query("SELECT 1", &[]))?.len() == 1, || {
            "the connection broke after errors".into()
        })?;
        drop_table(&mut c, &table);
        Ok(())
    })())
}

fn text_round_trips(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let table = format!("{}text", t.prefix);
        fresh_table(&mut c, &table, "id integer PRIMARY KEY, v varchar(100)")?;
        let (p1, p2) = (ph(&mut c, 1)?, ph(&mut c, 2)?);
        let samples = [
            "",
            "plain",
            "ünïcödé ✓",
            "日本語",
            "quote ' and \" and \\",
            "emoji 🦀",
        ];
        for (i, v) in samples.iter().enumerate() {
            s(c.execute(
                &format!("INSERT INTO {table} VALUES ({p1}, {p2})"),
                &[Value::Int(i as i64), (*v).into()],
            ))?;
        }
        let rs = s(c.execute_query(&format!("SELECT v FROM {table} ORDER BY id"), &[]))?;
        for (i, v) in samples.iter().enumerate() {
            let got = rs.row(i).map(|r| r[0].clone());
            ensure(got == Some(Value::Text((*v).into())), || {
                format!("{v:?} came back as {got:?}")
            })?;
        }
        drop_table(&mut c, &table);
        Ok(())
    })())
}

fn blank_statements(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        for sql in ["", " ", ";", "-- nothing", "/* nothing */"] {
            let r = s(c.execute(sql, &[]))?;
            ensure(r.rows_affected == 0, || format!("{sql:?} affected rows"))?;
            let rs = s(c.execute_query(sql, &[]))?;
            ensure(rs.is_empty() && rs.columns().is_empty(), || {
                format!("{sql:?} returned something")
            })?;
        }
        Ok(())
    })())
}

fn catalog(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let table = format!("{}cat", t.prefix);
        fresh_table(
            &mut c,
            &table,
            "id integer NOT NULL PRIMARY KEY, name varchar(20)",
        )?;
        let names: Vec<String> = s(c.tables())?.iter().map(|t| t.name.to_string()).collect();
        ensure(names.contains(&table), || {
            format!("tables() does not list {table}: {names:?}")
        })?;
        let d = s(c.describe(&table))?;
        let cols: Vec<(&str, bool)> = d
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.nullable))
            .collect();
        ensure(cols == [("id", false), ("name", true)], || {
            format!("describe gave {cols:?}")
        })?;
        ensure(
            d.primary_key.iter().map(|s| s.as_str()).collect::<Vec<_>>() == ["id"],
            || format!("primary key {:?}", d.primary_key),
        )?;
        let err = c
            .describe(&format!("{}nope", t.prefix))
            .err()
            .ok_or("describe found a missing table")?;
        ensure(kind(&err) == Some(ErrorKind::NOT_FOUND), || {
            format!("describe of a missing table came as {:?}", kind(&err))
        })?;
        drop_table(&mut c, &table);
        Ok(())
    })())
}

/// True when some value of `rs` is the text `name`.
fn lists(rs: &ResultSet, name: &str) -> bool {
    rs.rows().any(|row| {
        row.iter()
            .any(|v| matches!(v, Value::Text(t) if t.as_str() == name))
    })
}

/// The kinds a driver may answer "unsupported" for: engines without functions, roles or
/// sequences exist (SQLite has no roles, MySQL no sequences).
const OPTIONAL_KINDS: [CatalogKind; 3] = [
    CatalogKind::ROLES,
    CatalogKind::FUNCTIONS,
    CatalogKind::SEQUENCES,
];

/// Catalog listings: tables and views the case creates are listed, a name pattern filters
/// them, every kind answers with lowercase `snake_case` columns. Listing roles may also be
/// refused for want of a privilege (the account under test need not be an administrator).
fn catalog_lists(t: &Target) -> Outcome {
    let run = || -> Result<Outcome, String> {
        let mut c = t.connect()?;
        let table = format!("{}catl", t.prefix);
        let view = format!("{}vcat", t.prefix);
        let _ = c.execute_batch(&format!("DROP VIEW IF EXISTS {view}"));
        fresh_table(&mut c, &table, "id integer")?;
        s(c.execute_batch(&format!("CREATE VIEW {view} AS SELECT id FROM {table}")))?;
        let checked = list_every_kind(&mut c, &t.prefix, &table, &view);
        let _ = c.execute_batch(&format!("DROP VIEW IF EXISTS {view}"));
        drop_table(&mut c, &table);
        let unsupported = checked?;
        Ok(if unsupported.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Unsupported(unsupported.join("; "))
        })
    };
    run().unwrap_or_else(Outcome::Failed)
}

/// The checks of [`catalog_lists`]; returns what the driver did not list, and why.
fn list_every_kind(
    c: &mut DatabaseConnection,
    prefix: &str,
    table: &str,
    view: &str,
) -> Result<Vec<String>, String> {
    let pattern = format!("{prefix}cat*");
    let tables = s(c.catalog(CatalogKind::TABLES, &pattern))?;
    ensure(lists(&tables, table), || {
        format!("tables matching {pattern:?} do not include {table}")
    })?;
    ensure(!lists(&tables, view), || {
        format!("tables matching {pattern:?} include the view {view}")
    })?;
    let views = s(c.catalog(CatalogKind::VIEWS, view))?;
    ensure(lists(&views, view), || {
        format!("views do not include {view}")
    })?;
    ensure(!lists(&views, table), || {
        format!("views matching {view:?} include the table {table}")
    })?;
    let mut unsupported = Vec::new();
    for k in CatalogKind::ALL {
        match c.catalog(k, "") {
            Ok(rs) => {
                let names = rs.column_names();
                ensure(
                    !names.is_empty()
                        && names.iter().all(|n| {
                            !n.is_empty()
                                && n.bytes().all(|b| {
                                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
                                })
                        }),
                    || {
                        format!(
                            "the columns listing {} are not snake_case: {names:?}",
                            k.plural()
                        )
                    },
                )?;
            }
            Err(e) if kind(&e) == Some(ErrorKind::UNSUPPORTED) && OPTIONAL_KINDS.contains(&k) => {
                unsupported.push(format!("{}: {e}", k.plural()))
            }
            Err(e) if kind(&e) == Some(ErrorKind::PERMISSION) && k == CatalogKind::ROLES => {
                unsupported.push(format!(
                    "{} (not readable by this account): {e}",
                    k.plural()
                ))
            }
            Err(e) => return Err(format!("listing {} failed: {e}", k.plural())),
        }
    }
    Ok(unsupported)
}

fn schema_round_trip(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let (parent, child) = (format!("{}parent", t.prefix), format!("{}child", t.prefix));
        drop_table(&mut c, &child);
        drop_table(&mut c, &parent);
        let toml = format!(
            r#"
[[tables]]
name = "{parent}"
primary_key = ["id"]
columns = [{{ name = "id", type = "bigint", nullable = false }}, {{ name = "code", type = "varchar(10)", nullable = false }}]
unique = [{{ columns = ["code"] }}]

[[tables]]
name = "{child}"
primary_key = ["id"]
columns = [
  {{ name = "id", type = "bigint", nullable = false }},
  {{ name = "parent_id", type = "bigint" }},
  {{ name = "note", type = "varchar(40)", default = "none" }},
]
foreign_keys = [{{ columns = ["parent_id"], ref_table = "{parent}", ref_columns = ["id"], on_delete = "cascade" }}]
indexes = [{{ columns = ["note"] }}]
"#
        );
        let want: myrmex_schema::SchemaDefinition =
            toml::from_str(&toml).map_err(|e| e.to_string())?;
        s(c.apply_schema(&want))?;
        let dialect = s(c.schema_dialect())?;
        // Only the two tables: the database may hold other objects (types, views) of its own.
        let mut got = s(c.schema())?;
        got.tables.retain(|t| t.name == parent || t.name == child);
        let got = myrmex_schema::SchemaDefinition {
            tables: got.tables,
            ..Default::default()
        };
        let changes = myrmex_schema::diff(&got, &want, dialect).map_err(|e| e.to_string())?;
        drop_table(&mut c, &child);
        drop_table(&mut c, &parent);
        ensure(changes.is_empty(), || {
            format!("the schema read back differs from the one applied: {changes:?}")
        })
    })())
}

fn migrations_up_and_down(t: &Target) -> Outcome {
    outcome((|| {
        let mut c = t.connect()?;
        let dir = std::env::temp_dir().join(format!("{}migrations_{}", t.prefix, nanos()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let table = format!("{}mig", t.prefix);
        let history = format!("{}history", t.prefix);
        drop_table(&mut c, &table);
        drop_table(&mut c, &history);
        std::fs::write(
            dir.join("V1__create.sql"),
            format!("-- +up\nCREATE TABLE {table} (id integer PRIMARY KEY, v varchar(10));\nINSERT INTO {table} VALUES (1, 'a');\n-- +down\nDROP TABLE {table};\n"),
        )
        .map_err(|e| e.to_string())?;
        let mgr =
            s(MigrationManager::open(&dir))?.with_options(myrmex_core::migrate::MigrateOptions {
                table: history.clone(),
                ..Default::default()
            });
        let report = s(mgr.up(&mut c, None))?;
        ensure(!report.applied.is_empty(), || "up applied nothing".into())?;
        ensure(count(&mut c, &table)? == 1, || {
            "the migration's row is missing".into()
        })?;
        ensure(s(mgr.status(&mut c))?.pending().count() == 0, || {
            "a migration is still pending after up".into()
        })?;
        s(mgr.down(&mut c, DownTarget::Count(1)))?;
        ensure(
            c.execute_query(&format!("SELECT * FROM {table}"), &[])
                .is_err(),
            || "down left the table".into(),
        )?;
        drop_table(&mut c, &history);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })())
}

fn migration_lock(t: &Target) -> Outcome {
    let run = || -> Result<Outcome, String> {
        let mut a = t.connect()?;
        let mut b = t.connect()?;
        let name = format!("{}lock", t.prefix);
        let first = match a.try_lock(&name) {
            Ok(l) => l,
            Err(e) if kind(&e) == Some(ErrorKind::UNSUPPORTED) => {
                return Ok(Outcome::Unsupported(e.to_string()))
            }
            Err(e) => return Err(e.to_string()),
        };
        ensure(first.acquired, || {
            "the first session did not get a free lock".into()
        })?;
        let second = s(b.try_lock(&name))?;
        let private = a.params().database.contains(":memory:");
        ensure(private || !second.acquired, || {
            "two sessions held the same lock".into()
        })?;
        s(a.unlock(&name))?;
        if !private {
            let third = s(b.try_lock(&name))?;
            ensure(third.acquired, || {
                "the lock was not free after unlock".into()
            })?;
            s(b.unlock(&name))?;
        }
        Ok(Outcome::Passed)
    };
    run().unwrap_or_else(Outcome::Failed)
}

fn scratch_database(t: &Target) -> Outcome {
    let run = || -> Result<Outcome, String> {
        let mut c = t.connect()?;
        let params = match c.create_scratch() {
            Ok(p) => p,
            Err(e) if kind(&e) == Some(ErrorKind::UNSUPPORTED) => {
                return Ok(Outcome::Unsupported(e.to_string()))
            }
            Err(e) => return Err(e.to_string()),
        };
        {
            let mut scratch = DatabaseConnection::new("scratch", params.clone());
            s(scratch.connect_with(t.registry()))?;
            s(scratch.execute_batch("CREATE TABLE mpt_in_scratch (x integer)"))?;
            let names: Vec<String> = s(scratch.tables())?
                .iter()
                .map(|t| t.name.to_string())
                .collect();
            ensure(names == ["mpt_in_scratch"], || {
                format!("the scratch database was not empty: {names:?}")
            })?;
        }
        s(c.drop_scratch(&params))?;
        Ok(Outcome::Passed)
    };
    run().unwrap_or_else(Outcome::Failed)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
