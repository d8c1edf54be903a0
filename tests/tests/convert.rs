//! Schema conversion against the real engines: a database loaded with a real-world schema
//! (Chinook on all three engines, Sakila on PostgreSQL) is inspected through myrmex,
//! converted for each other engine, and the converted DDL is applied to that engine with its
//! own client; the report names what was lost, and `--strict` fails naming it.

use myrmex_core::schema_def::convert::{convert_schema, Action, CastRules, Conversion, ObjectKind};
use myrmex_core::schema_def::{
    self, ColumnType, Dialect, Domain, EnumType, Routine, SchemaDefinition, Trigger, View,
};
use myrmex_tests::*;

/// Applies `ddl` to `t` with the engine's own client; panics with its error.
fn apply_with_client(t: &Target, ddl: &str, what: &str) {
    let path = temp_dir("convert-ddl").join("ddl.sql");
    std::fs::write(&path, ddl).unwrap();
    let out = t
        .client()
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run its client: {e}", t.engine));
    assert!(
        out.status.success(),
        "{what}: {} refused the converted DDL: {}\n{ddl}",
        t.engine,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Converts `def` for `dst`'s engine, applies it there, and checks that inspecting `dst`
/// gives back every table with every column.
fn convert_and_apply(
    def: &SchemaDefinition,
    from: Dialect,
    dst: &Target,
    rules: &CastRules,
) -> Conversion {
    let to = dst.connect().schema_dialect().unwrap();
    let what = format!("{from} → {to}");
    let c = convert_schema(def, from, to, rules).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut ddl =
        schema_def::generate_schema(&c.definition, to).unwrap_or_else(|e| panic!("{what}: {e}"));
    if to == Dialect::Postgres && !ddl.contains("CREATE TYPE") {
        // Enum types the conversion created (MySQL enum columns), for as long as the
        // generator does not write `CREATE TYPE` itself.
        let types: String = c
            .definition
            .enums
            .iter()
            .map(|e| {
                let labels: Vec<String> = e.labels.iter().map(|l| to.literal(l)).collect();
                format!(
                    "CREATE TYPE {} AS ENUM ({});\n",
                    to.quote(&e.name),
                    labels.join(", ")
                )
            })
            .collect();
        ddl = types + &ddl;
    }
    apply_with_client(dst, &ddl, &what);
    let back = dst.connect().schema().unwrap();
    for t in &c.definition.tables {
        let got = back
            .tables
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&t.name))
            .unwrap_or_else(|| panic!("{what}: table {} missing after apply", t.name));
        assert_eq!(
            got.columns.len(),
            t.columns.len(),
            "{what}: columns of {}",
            t.name
        );
    }
    c
}

#[test]
fn chinook_converts_between_every_pair_of_engines() {
    for src in targets("conv-chinook-src") {
        load_chinook(&src);
        let mut conn = src.connect();
        let from = conn.schema_dialect().unwrap();
        let def = conn.schema().unwrap();
        assert_eq!(def.tables.len(), 11, "{from}: Chinook has 11 tables");
        for dst in targets("conv-chinook-dst") {
            if dst.engine == src.engine {
                continue;
            }
            let c = convert_and_apply(&def, from, &dst, &CastRules::default());
            assert_eq!(c.definition.tables.len(), 11);
            // Chinook holds nothing engine-only: the conversion loses nothing (MariaDB's
            // NVARCHAR columns carry utf8mb3_general_ci, their character set's default).
            assert!(
                c.losses().is_empty(),
                "{from} → {}: unexpected losses\n{}",
                dst.engine,
                c.report_text()
            );
        }
    }
}

/// Loads Sakila's PostgreSQL schema into a scratch database with psql.
fn sakila_postgres() -> Option<Target> {
    let pg = targets("conv-sakila-src")
        .into_iter()
        .find(|t| t.engine == "postgres")?;
    let path = datasets().join("sakila/postgres-sakila-schema.sql");
    let out = pg
        .client()
        .stdin(std::fs::File::open(path).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "loading Sakila: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(pg)
}

/// What Sakila holds besides tables, for as long as inspection does not read it: the enum,
/// the domain, views, functions and triggers (named as in the Sakila script).
fn complete_sakila(def: &mut SchemaDefinition) {
    if def.enums.is_empty() {
        def.enums.push(EnumType {
            schema: None,
            name: "mpaa_rating".into(),
            labels: ["G", "PG", "PG-13", "R", "NC-17"]
                .map(String::from)
                .to_vec(),
            comment: None,
        });
    }
    if def.domains.is_empty() {
        def.domains.push(Domain {
            schema: None,
            name: "year".into(),
            ty: ColumnType::Int,
            nullable: true,
            default: None,
            collation: None,
            checks: vec![schema_def::Check {
                name: Some("year_check".into()),
                expr: "((VALUE >= 1901) AND (VALUE <= 2155))".into(),
                not_valid: false,
            }],
            comment: None,
        });
    }
    if def.views.is_empty() {
        for v in ["actor_info", "customer_list", "film_list", "sales_by_store"] {
            def.views.push(View {
                schema: None,
                name: v.into(),
                sql: schema_def::DialectText::Any("SELECT …".into()),
                columns: vec![],
                materialized: false,
                check_option: None,
                options: Default::default(),
                depends_on: vec![],
                indexes: vec![],
                comment: None,
            });
        }
    }
    if def.routines.is_empty() {
        def.routines.push(Routine {
            schema: None,
            name: "film_in_stock".into(),
            kind: "function".into(),
            arguments: "integer, integer".into(),
            sql: schema_def::DialectText::Any("CREATE FUNCTION …".into()),
            depends_on: vec![],
            comment: None,
        });
    }
    if def.triggers.is_empty() {
        def.triggers.push(Trigger {
            schema: None,
            table: "film".into(),
            name: "film_fulltext_trigger".into(),
            sql: schema_def::DialectText::Any("CREATE TRIGGER …".into()),
            disabled: false,
        });
    }
}

/// True when the report has a line for `object` (a routine by its name, whatever the
/// arguments inspection spells).
fn has(c: &Conversion, kind: ObjectKind, object: &str, action: Action) -> bool {
    c.report.iter().any(|d| {
        let same = match object.strip_suffix("(…)") {
            Some(name) => d.object.starts_with(&format!("{name}(")),
            None => d.object == object,
        };
        d.kind == kind && same && d.action == action
    })
}

#[test]
fn sakila_from_postgres_applies_on_mariadb_and_sqlite_with_its_losses_reported() {
    let pg = sakila_postgres().expect("Sakila needs MYRMEX_TEST_POSTGRES_URL");
    let mut def = pg.connect().schema().unwrap();
    assert!(def.table("film").is_some() && def.table("payment_p2007_01").is_some());
    complete_sakila(&mut def);
    let mut seen = 0;
    for dst in targets("conv-sakila-dst") {
        if dst.engine == "postgres" {
            continue;
        }
        seen += 1;
        let c = convert_and_apply(&def, Dialect::Postgres, &dst, &CastRules::default());
        let to = c.to;
        let report = c.report_text();
        for (kind, name, action) in [
            // film_list uses the group_concat aggregate: inspection lists it as unsupported.
            (ObjectKind::View, "customer_list", Action::NotConverted),
            (
                ObjectKind::Routine,
                "film_in_stock(…)",
                Action::NotConverted,
            ),
            (
                ObjectKind::Trigger,
                "film.film_fulltext_trigger",
                Action::NotConverted,
            ),
            (ObjectKind::Column, "film.fulltext", Action::Mapped),
            (ObjectKind::Column, "film.special_features", Action::Mapped),
            (ObjectKind::Column, "film.rating", Action::Mapped),
            (ObjectKind::Column, "film.release_year", Action::Mapped),
        ] {
            assert!(
                has(&c, kind, name, action),
                "{to}: no `{kind} {name}: {}` in\n{report}",
                action.name()
            );
        }
        let losses: Vec<String> = c.losses().iter().map(|d| d.object.clone()).collect();
        for lost in ["customer_list", "film.fulltext", "film.special_features"] {
            assert!(
                losses.iter().any(|l| l == lost),
                "{to}: {lost} not a loss in\n{report}"
            );
        }
        // The domain's check and the enum hold in the target: a bad row is refused by them.
        let ft = to.quote("fulltext");
        let mut conn = dst.connect();
        conn.execute_batch(
            "INSERT INTO language (language_id, name, last_update) VALUES (1, 'English', CURRENT_TIMESTAMP)",
        )
        .unwrap_or_else(|e| panic!("{to}: {e}"));
        for (bad, why) in [
            (format!("INSERT INTO film (film_id, title, language_id, release_year, {ft}) VALUES (1, 'x', 1, 1800, 'x')"), "release_year 1800"),
            (format!("INSERT INTO film (film_id, title, language_id, rating, {ft}) VALUES (2, 'y', 1, 'XXX', 'y')"), "rating XXX"),
        ] {
            let err = conn
                .execute_batch(&bad)
                .err()
                .unwrap_or_else(|| panic!("{to}: {why} was accepted"))
                .to_string();
            assert!(!err.to_ascii_lowercase().contains("syntax"), "{to}: {err}");
        }
        conn.execute_batch(&format!(
            "INSERT INTO film (film_id, title, language_id, release_year, rating, {ft}) VALUES (3, 'z', 1, 2006, 'PG', 'z')"
        ))
        .unwrap_or_else(|e| panic!("{to}: a good film row was refused: {e}"));
    }
    assert_eq!(seen, 2, "MariaDB and SQLite targets");
}

#[test]
fn strict_conversion_fails_naming_every_loss() {
    let pg = sakila_postgres().expect("Sakila needs MYRMEX_TEST_POSTGRES_URL");
    let mut def = pg.connect().schema().unwrap();
    complete_sakila(&mut def);
    let rules = CastRules {
        strict: true,
        ..CastRules::default()
    };
    let err = convert_schema(&def, Dialect::Postgres, Dialect::Mariadb, &rules)
        .unwrap_err()
        .to_string();
    for needle in [
        "view film_list",
        "routine film_in_stock",
        "column film.fulltext",
        "column film.special_features",
    ] {
        assert!(err.contains(needle), "{needle} missing in\n{err}");
    }
    // The binary: the DDL on stdout, the report on stderr; --strict exits 1 naming the losses.
    // Until inspection reads enum types, the rating column's type needs a rule.
    let enum_rule = "type mpaa_rating to varchar(5)";
    let out = run(myrmex().args([
        "schema", "convert", &pg.url, "--to", "sqlite", "--cast", enum_rule,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (ddl, report) = (&out.stdout, &out.stderr);
    assert!(ddl.contains("CREATE TABLE film"), "{ddl}");
    assert!(
        report.contains("column film.fulltext: mapped: tsvector"),
        "{report}"
    );
    let out = run(myrmex().args([
        "schema", "convert", &pg.url, "--to", "mariadb", "--strict", "--cast", enum_rule,
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = &out.stderr;
    assert!(
        err.contains("would lose") && err.contains("column film.fulltext"),
        "{err}"
    );
    // A rule decides: dropping the engine-only columns leaves the rest lossless.
    let out = run(myrmex().args([
        "--format",
        "json",
        "schema",
        "convert",
        &pg.url,
        "--to",
        "mariadb",
        "--cast",
        "type tsvector drop",
        "--cast",
        "column film.special_features to text",
        "--cast",
        enum_rule,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["ddl"].as_str().unwrap().contains("CREATE TABLE film"));
    assert!(v["report"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["object"] == "film.fulltext" && d["action"] == "dropped"));
}

/// Loads Sakila's MySQL schema into a scratch MariaDB database with its client, leaving out
/// the script's own DROP/CREATE SCHEMA and USE lines and its `sakila.` qualifiers.
fn sakila_mysql() -> Target {
    let my = targets("conv-sakila-my")
        .into_iter()
        .find(|t| t.engine == "mysql")
        .expect("Sakila for MySQL needs MYRMEX_TEST_MYSQL_URL");
    let text = std::fs::read_to_string(datasets().join("sakila/mysql-sakila-schema.sql")).unwrap();
    let script: String = text
        .lines()
        .filter(|l| {
            let u = l.trim_start().to_ascii_uppercase();
            !(u.starts_with("DROP SCHEMA")
                || u.starts_with("CREATE SCHEMA")
                || u.starts_with("USE "))
        })
        .collect::<Vec<_>>()
        .join("\n")
        // Its views name the database; ours has another name.
        .replace("sakila.", "");
    let path = temp_dir("sakila-my").join("sakila.sql");
    std::fs::write(&path, script).unwrap();
    let out = my
        .client()
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "loading Sakila: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    my
}

#[test]
fn sakila_from_mariadb_applies_on_postgres_and_sqlite() {
    let my = sakila_mysql();
    let mut conn = my.connect();
    let from = conn.schema_dialect().unwrap();
    let def = conn.schema().unwrap();
    assert!(def.table("film").is_some());
    for dst in targets("conv-sakila-my-dst") {
        if dst.engine == "mysql" {
            continue;
        }
        let c = convert_and_apply(&def, from, &dst, &CastRules::default());
        let to = c.to;
        let report = c.report_text();
        let film = c.definition.table("film").unwrap();
        // Unsigned ids are wider integers with a CHECK; the enum holds; SET is text (a loss).
        assert_eq!(
            film.column("film_id").unwrap().ty,
            ColumnType::BigInt,
            "{report}"
        );
        assert!(
            film.checks.iter().any(|k| k.expr == "film_id >= 0"),
            "{report}"
        );
        assert!(
            has(&c, ObjectKind::Column, "film.rating", Action::Mapped),
            "{report}"
        );
        assert!(
            c.losses()
                .iter()
                .any(|d| d.object == "film.special_features"),
            "{to}: {report}"
        );
        let mut t = dst.connect();
        t.execute_batch("INSERT INTO language (language_id, name) VALUES (1, 'English')")
            .unwrap_or_else(|e| panic!("{to}: {e}"));
        let bad = t.execute_batch(
            "INSERT INTO film (film_id, title, language_id, rating) VALUES (1, 'x', 1, 'XXX')",
        );
        let err = bad
            .err()
            .unwrap_or_else(|| panic!("{to}: rating XXX accepted"))
            .to_string();
        assert!(!err.to_ascii_lowercase().contains("syntax"), "{to}: {err}");
        t.execute_batch(
            "INSERT INTO film (film_id, title, language_id, rating, release_year) VALUES (2, 'y', 1, 'PG-13', 2006)",
        )
        .unwrap_or_else(|e| panic!("{to}: a good film row was refused: {e}"));
    }
}
