//! Schema definitions against the real engines: generate → apply → introspect must give the
//! definition back (modulo the documented normalisations), the engines' own clients accept the
//! generated DDL, a diff applied to a database holding data reaches the target and keeps the
//! data, and random valid definitions do all of this too.

use myrmex_core::schema_def::normalize::differences;
use myrmex_core::schema_def::{self, ColumnType, Dialect, SchemaDefinition};
use myrmex_core::{DatabaseConnection, Value};
use myrmex_tests::*;
use std::path::PathBuf;

fn fixture(name: &str) -> SchemaDefinition {
    SchemaDefinition::load(&workspace_root().join("tests/data/schema").join(name)).unwrap()
}

fn assert_same(want: &SchemaDefinition, got: &SchemaDefinition, d: Dialect, what: &str) {
    let diffs = differences(want, got, d);
    assert!(
        diffs.is_empty(),
        "{what} on {d}: introspection differs:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn fixture_round_trips_on_every_engine() {
    let full = fixture("full.toml");
    let partial = fixture("partial.toml");
    for t in targets("schema-rt") {
        let mut c = t.connect();
        let d = c.schema_dialect().unwrap();
        c.apply_schema(&full).unwrap_or_else(|e| panic!("{d}: {e}"));
        let mut want = full.clone();
        if d.is_mysql_family() {
            let err = schema_def::generate_schema(&partial, d)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("job_pending_idx") && err.contains("no partial indexes"),
                "{err}"
            );
        } else {
            c.apply_schema(&partial).unwrap();
            want.tables.extend(partial.tables.clone());
        }
        let back = c.schema().unwrap();
        assert_same(&want, &back, d, "fixture");
        // Nothing to do when the database already matches.
        let changes = schema_def::diff(&back, &want, d).unwrap();
        assert!(changes.is_empty(), "{d}: spurious changes {changes:#?}");
        // The reverse-engineered definition generates again and round-trips too.
        assert!(schema_def::generate_schema(&back, d).is_ok());
    }
}

#[test]
fn engines_own_clients_accept_the_generated_ddl() {
    let full = fixture("full.toml");
    for t in targets("schema-cli") {
        let mut c = t.connect();
        let d = c.schema_dialect().unwrap();
        let ddl = schema_def::generate_schema(&full, d).unwrap();
        let file: PathBuf = temp_dir("ddl").join("schema.sql");
        std::fs::write(&file, &ddl).unwrap();
        let stdin = std::fs::File::open(&file).unwrap();
        let mut cmd = t.client();
        let out = cmd
            .stdin(stdin)
            .output()
            .unwrap_or_else(|e| panic!("{}: cannot run its client: {e}", t.engine));
        assert!(
            out.status.success(),
            "{}'s own client refused the DDL: {}\n{ddl}",
            t.engine,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_same(
            &full,
            &c.schema().unwrap(),
            d,
            "DDL applied by the engine's client",
        );
    }
}

/// The fixture changed the way a release would change it.
fn version_two(v1: &SchemaDefinition) -> SchemaDefinition {
    let mut v2 = v1.clone();
    let customer = v2.tables.iter_mut().find(|t| t.name == "customer").unwrap();
    customer.columns.retain(|c| c.name != "avatar");
    for c in &mut customer.columns {
        match c.name.as_str() {
            "display_name" => c.ty = ColumnType::Varchar(120),
            "country" => c.default = Some(schema_def::DefaultValue::Text("DE".into())),
            "score" => c.ty = ColumnType::Double,
            "born" => c.nullable = true,
            "notes" => c.comment = Some("free text".into()),
            _ => {}
        }
    }
    let mut nick = schema_def::Column::new("nickname", ColumnType::Varchar(40));
    nick.default = Some(schema_def::DefaultValue::Text("none".into()));
    customer.columns.push(nick);
    customer.indexes = vec![schema_def::Index {
        name: Some("customer_created_idx".into()),
        columns: vec!["created_at".into()],
        ..Default::default()
    }];
    customer.checks.push(schema_def::Check {
        name: Some("customer_ltv_check".into()),
        expr: "lifetime_value >= 0".into(),
        ..Default::default()
    });
    let team = v2.tables.iter_mut().find(|t| t.name == "team").unwrap();
    team.foreign_keys.clear();
    team.indexes.clear();
    v2.tables.retain(|t| t.name != "employee");
    v2.tables.push(
        SchemaDefinition::from_toml_str(
            r#"[[tables]]
            name = "tag"
            primary_key = ["customer_id", "label"]
            columns = [{ name = "customer_id", type = "bigint" }, { name = "label", type = "varchar(30)" }]
            foreign_keys = [{ name = "tag_customer_fkey", columns = ["customer_id"], ref_table = "customer", on_delete = "cascade" }]"#,
            "tag",
        )
        .unwrap()
        .tables
        .remove(0),
    );
    v2
}

#[test]
fn diff_reaches_the_target_and_keeps_the_data() {
    let v1 = fixture("full.toml");
    let v2 = version_two(&v1);
    for t in targets("schema-diff") {
        let mut c = t.connect();
        let d = c.schema_dialect().unwrap();
        c.apply_schema(&v1).unwrap();
        let order = d.quote("Order");
        for i in 1..=20i64 {
            c.execute(
                "INSERT INTO customer (email, display_name, lifetime_value, notes) VALUES (?, ?, ?, ?)",
                &[format!("c{i}@example.com").into(), format!("Customer {i}").into(), Value::Decimal(format!("{i}.50").into()), "n".into()],
            )
            .unwrap();
            c.execute(
                &format!("INSERT INTO {order} (customer_id, placed, total) VALUES (?, ?, ?)"),
                &[
                    i.into(),
                    Value::Timestamp("2024-05-01 10:00:00".into()),
                    Value::Decimal("9.99".into()),
                ],
            )
            .unwrap();
        }
        let changes = schema_def::diff(&c.schema().unwrap(), &v2, d).unwrap();
        let destructive: Vec<&str> = changes
            .iter()
            .filter(|c| c.destructive)
            .map(|c| c.description.as_str())
            .collect();
        assert!(
            destructive.iter().any(|s| s.contains("employee")),
            "{d}: dropping a table is destructive: {destructive:?}"
        );
        assert!(
            destructive.iter().any(|s| s.contains("avatar")),
            "{d}: dropping a column is destructive: {destructive:?}"
        );
        assert!(
            !changes
                .iter()
                .any(|c| c.destructive && c.description.contains("display_name")),
            "{d}: widening is not destructive"
        );
        for ch in &changes {
            c.execute(&ch.sql, &[])
                .unwrap_or_else(|e| panic!("{d}: {} failed: {e}", ch.sql));
        }
        assert_same(&v2, &c.schema().unwrap(), d, "after the diff");
        let rows = c
            .execute_query(&format!("SELECT count(*) FROM customer c JOIN {order} o ON o.customer_id = c.id WHERE c.display_name LIKE 'Customer %' AND c.nickname = 'none'"), &[])
            .unwrap();
        assert_eq!(
            rows.row(0).unwrap()[0],
            Value::Int(20),
            "{d}: rows lost or changed by the diff"
        );
        let ltv = c
            .execute_query(
                "SELECT lifetime_value FROM customer WHERE email = 'c7@example.com'",
                &[],
            )
            .unwrap();
        assert_eq!(ltv.row(0).unwrap()[0], Value::Decimal("7.50".into()), "{d}");
        assert!(
            schema_def::diff(&c.schema().unwrap(), &v2, d)
                .unwrap()
                .is_empty(),
            "{d}: a second diff is not empty"
        );
    }
}

const NAMES: &[&str] = &[
    "alpha",
    "Beta",
    "order",
    "select",
    "user",
    "value",
    "Mixed Case",
    "x1",
    "group",
    "data",
];

fn random_type(r: &mut Rng) -> ColumnType {
    match r.below(15) {
        0 => ColumnType::SmallInt,
        1 => ColumnType::Int,
        2 => ColumnType::BigInt,
        3 => ColumnType::Decimal {
            precision: 1 + r.below(30) as u32 + 8,
            scale: r.below(8) as u32,
        },
        4 => ColumnType::Real,
        5 => ColumnType::Double,
        6 => ColumnType::Bool,
        7 => ColumnType::Char(1 + r.below(20) as u32),
        8 => ColumnType::Varchar(1 + r.below(200) as u32),
        9 => ColumnType::Text,
        10 => ColumnType::Blob,
        11 => ColumnType::Date,
        12 => ColumnType::Timestamp,
        13 => ColumnType::TimestampTz,
        _ => ColumnType::Uuid,
    }
}

fn random_default(r: &mut Rng, ty: &ColumnType) -> Option<schema_def::DefaultValue> {
    use schema_def::DefaultValue as D;
    if !r.chance(40) {
        return None;
    }
    Some(match ty {
        ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt => {
            D::Int(r.below(100) as i64 - 50)
        }
        ColumnType::Decimal { .. } => D::Int(r.below(100) as i64),
        ColumnType::Real | ColumnType::Double => D::Float(0.5),
        ColumnType::Bool => D::Bool(r.chance(50)),
        ColumnType::Char(n) | ColumnType::Varchar(n) if *n >= 3 => D::Text("d'q".into()),
        ColumnType::Date => D::Text("2001-02-03".into()),
        ColumnType::Timestamp | ColumnType::TimestampTz => D::Expr {
            expr: "CURRENT_TIMESTAMP".into(),
        },
        _ => return None,
    })
}

fn random_schema(r: &mut Rng) -> SchemaDefinition {
    let mut def = SchemaDefinition::default();
    let tables = 1 + r.below(4);
    for ti in 0..tables {
        let name = format!("{}_{ti}", NAMES[r.below(NAMES.len())]);
        let mut t = schema_def::Table {
            name: name.clone(),
            ..Default::default()
        };
        let identity = r.chance(50);
        let mut id = schema_def::Column::new("id", ColumnType::BigInt);
        id.identity = if identity {
            schema_def::Identity::ByDefault
        } else {
            schema_def::Identity::No
        };
        t.columns.push(id);
        t.primary_key = vec!["id".into()];
        for ci in 0..1 + r.below(6) {
            let ty = random_type(r);
            let mut c = schema_def::Column::new(
                &format!("{}_{ci}", NAMES[r.below(NAMES.len())]),
                ty.clone(),
            );
            c.nullable = r.chance(60);
            c.default = random_default(r, &ty);
            if r.chance(20) {
                c.comment = Some(format!("column {ci} of {name}"));
            }
            t.columns.push(c);
        }
        let cols: Vec<(String, ColumnType)> = t
            .columns
            .iter()
            .skip(1)
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect();
        if let Some((c, _)) = cols
            .iter()
            .find(|(_, ty)| matches!(ty, ColumnType::Varchar(n) if *n < 190))
        {
            if r.chance(50) {
                t.unique.push(schema_def::Unique {
                    name: Some(format!("u_{ti}")),
                    columns: vec![c.clone()],
                    ..Default::default()
                });
            }
        }
        if let Some((c, _)) = cols
            .iter()
            .find(|(_, ty)| ty.is_integer() || matches!(ty, ColumnType::Decimal { .. }))
        {
            if r.chance(50) {
                t.checks.push(schema_def::Check {
                    name: Some(format!("ck_{ti}")),
                    expr: format!("{} >= 0", Dialect::Postgres.quote(c).replace('"', "\u{1}")),
                    ..Default::default()
                });
            }
        }
        if let Some((c, _)) = cols.iter().find(|(_, ty)| {
            !matches!(
                ty,
                ColumnType::Text | ColumnType::Blob | ColumnType::Varchar(191..)
            )
        }) {
            if r.chance(60) {
                t.indexes.push(schema_def::Index {
                    name: Some(format!("ix_{ti}")),
                    columns: vec![c.as_str().into()],
                    unique: r.chance(30),
                    ..Default::default()
                });
            }
        }
        if ti > 0 && r.chance(70) {
            let target = def.tables[r.below(ti)].name.clone();
            let mut fkc = schema_def::Column::new(&format!("ref_{ti}"), ColumnType::BigInt);
            fkc.nullable = true;
            t.columns.push(fkc);
            let actions = [
                schema_def::FkAction::NoAction,
                schema_def::FkAction::Cascade,
                schema_def::FkAction::SetNull,
            ];
            t.foreign_keys.push(schema_def::ForeignKey {
                name: Some(format!("fk_{ti}")),
                columns: vec![format!("ref_{ti}")],
                ref_table: target,
                ref_columns: vec!["id".into()],
                on_delete: actions[r.below(3)],
                on_update: schema_def::FkAction::NoAction,
                ..Default::default()
            });
            t.indexes.push(schema_def::Index {
                name: Some(format!("fkix_{ti}")),
                columns: vec![format!("ref_{ti}").as_str().into()],
                ..Default::default()
            });
        }
        if r.chance(25) {
            t.comment = Some(format!("table {ti}"));
        }
        def.tables.push(t);
    }
    // Check expressions quote identifiers per dialect later; keep them plain and quoted here.
    for t in &mut def.tables {
        for ck in &mut t.checks {
            ck.expr = ck.expr.replace('\u{1}', "\"");
        }
    }
    def
}

#[test]
fn random_definitions_apply_and_round_trip_on_every_engine() {
    let (mut r, seed) = Rng::from_env("MYRMEX_SCHEMA_SEED");
    let cases: usize = std::env::var("MYRMEX_SCHEMA_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    for case in 0..cases {
        let def = random_schema(&mut r);
        for t in targets("schema-prop") {
            let mut c = t.connect();
            let d = c.schema_dialect().unwrap();
            let mut def = def.clone();
            if d.is_mysql_family() {
                // MySQL quotes identifiers in CHECK with backticks.
                for tb in &mut def.tables {
                    for ck in &mut tb.checks {
                        ck.expr = ck.expr.replace('"', "`");
                    }
                }
            }
            add_engine_objects(&mut r, &mut def, d);
            let ctx = format!("seed {seed} (MYRMEX_SCHEMA_SEED), case {case}, {d}");
            let problems = schema_def::problems(&def, Some(d));
            assert!(
                problems.is_empty(),
                "{ctx}: generator made an invalid definition: {problems:?}"
            );
            c.apply_schema(&def).unwrap_or_else(|e| {
                panic!(
                    "{ctx}: {e}\n{}",
                    schema_def::generate_schema(&def, d).unwrap()
                )
            });
            let back = c.schema().unwrap();
            assert_same(&readable(&def, &def), &readable(&back, &def), d, &ctx);
            // Every object read back (views, enums, domains, sequences too) is what was
            // asked for: the diff to the definition is empty and nothing is unsupported.
            // Views compare in the text the engine keeps (through a scratch database).
            let plan = c
                .diff_to(&back, &def, &Default::default())
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert!(plan.notices.is_empty(), "{ctx}: {:?}", plan.notices);
            assert!(
                plan.changes.is_empty()
                    && plan.unsupported.is_empty()
                    && back.unsupported.is_empty(),
                "{ctx}: read back differs: {:#?}\n{:#?}\n{:#?}",
                plan.changes,
                plan.unsupported,
                back.unsupported
            );
        }
    }
}

/// Adds, at random, the objects and column/index features `d` holds: identity ALWAYS with
/// options, generated columns (stored on PostgreSQL, virtual elsewhere), collations, invisible
/// columns, descending/NULLS LAST/expression index keys, NULLS NOT DISTINCT, deferrable foreign
/// keys, enums, domains, sequences, views and materialized views. The engine must accept the
/// generated DDL for all of them.
fn add_engine_objects(r: &mut Rng, def: &mut SchemaDefinition, d: Dialect) {
    use schema_def::{Column, Generated, IndexColumn};
    let pg = d == Dialect::Postgres;
    for (ti, t) in def.tables.iter_mut().enumerate() {
        let q = d.quote(&t.name);
        if pg && t.columns[0].identity.is_set() && r.chance(50) {
            t.columns[0].identity = schema_def::Identity::Always;
            t.columns[0].identity_options = Some(schema_def::SequenceOptions {
                start: Some(1000),
                increment: Some(1 + r.below(3) as i64),
                ..Default::default()
            });
        }
        if r.chance(50) {
            let mut g = Column::new(&format!("gen_{ti}"), ColumnType::BigInt);
            // MySQL cannot compute from an AUTO_INCREMENT column.
            let from_id = !(d.is_mysql_family() && t.columns[0].identity.is_set());
            g.generated = Some(Generated {
                expr: if from_id { "id * 2" } else { "2 * 21" }.into(),
                stored: pg || r.chance(50),
            });
            t.columns.push(g);
        }
        if r.chance(50) {
            let mut c = Column::new(&format!("note_{ti}"), ColumnType::Varchar(40));
            c.collation = Some(match d {
                Dialect::Postgres => "C".into(),
                Dialect::Sqlite => "NOCASE".into(),
                _ => "utf8mb4_bin".into(),
            });
            c.invisible = d.is_mysql_family() && r.chance(50);
            let key = IndexColumn {
                column: Some(c.name.clone()),
                desc: true,
                nulls_first: pg.then_some(false),
                ..Default::default()
            };
            let mut keys = vec![key];
            if d != Dialect::Mariadb && r.chance(50) {
                keys.push(IndexColumn {
                    expr: Some(format!("lower({})", d.quote(&c.name))),
                    ..Default::default()
                });
            }
            t.indexes.push(schema_def::Index {
                name: Some(format!("kx_{ti}")),
                columns: keys,
                nulls_not_distinct: false,
                ..Default::default()
            });
            if pg && r.chance(50) {
                t.unique.push(schema_def::Unique {
                    name: Some(format!("nnd_{ti}")),
                    columns: vec![c.name.clone()],
                    nulls_not_distinct: true,
                    ..Default::default()
                });
            }
            t.columns.push(c);
        }
        if pg {
            for f in &mut t.foreign_keys {
                if r.chance(50) {
                    f.deferrable = schema_def::Deferrable::Deferred;
                }
            }
        }
        if r.chance(60) {
            def.views.push(schema_def::View {
                schema: None,
                name: format!("v_{ti}"),
                sql: schema_def::DialectText::Any(format!("SELECT id FROM {q}")),
                columns: Vec::new(),
                materialized: pg && r.chance(50),
                check_option: None,
                options: Default::default(),
                depends_on: vec![t.name.clone()],
                indexes: Vec::new(),
                comment: None,
            });
        }
    }
    if pg {
        def.enums.push(schema_def::EnumType {
            schema: None,
            name: "mood".into(),
            labels: vec!["sad".into(), "happy".into()],
            comment: None,
        });
        def.domains.push(schema_def::Domain {
            schema: None,
            name: "posint".into(),
            ty: ColumnType::Int,
            nullable: true,
            default: None,
            collation: None,
            checks: vec![schema_def::Check {
                name: Some("posint_check".into()),
                expr: "VALUE > 0".into(),
                not_valid: false,
            }],
            comment: None,
        });
        def.sequences.push(schema_def::Sequence {
            schema: None,
            name: "shared_seq".into(),
            options: schema_def::SequenceOptions {
                start: Some(5),
                ..Default::default()
            },
            owned_by: None,
            comment: None,
        });
    }
}

/// `def` reduced to what compares structurally (the engines print generated expressions,
/// expression keys, collations and default sequence options their own way): the features
/// `want` adds are taken out of both sides for the table comparison, and the whole
/// definition, those features included, is compared by the diff instead.
fn readable(def: &SchemaDefinition, want: &SchemaDefinition) -> SchemaDefinition {
    let mut out = def.clone();
    out.views.clear();
    out.enums.clear();
    out.domains.clear();
    out.sequences.clear();
    for t in &mut out.tables {
        let Some(w) = want.tables.iter().find(|x| x.name == t.name) else {
            continue;
        };
        // Generated columns: SQLite's table_info hides them, PostgreSQL reads the expression
        // as a default until the drivers read them as generated.
        t.columns
            .retain(|c| w.column(&c.name).is_none_or(|x| x.generated.is_none()));
        for c in &mut t.columns {
            if c.identity.is_set() {
                c.identity = schema_def::Identity::ByDefault;
                c.identity_options = None;
            }
            c.collation = None;
            c.invisible = false;
        }
        let fancy: Vec<String> = w
            .indexes
            .iter()
            .filter(|i| !i.columns.iter().all(|k| k.is_plain()))
            .filter_map(|i| i.name.clone())
            .collect();
        t.indexes
            .retain(|i| !i.name.as_ref().is_some_and(|n| fancy.contains(n)));
        let nnd: Vec<String> = w
            .unique
            .iter()
            .filter(|u| u.nulls_not_distinct)
            .filter_map(|u| u.name.clone())
            .collect();
        t.unique
            .retain(|u| !u.name.as_ref().is_some_and(|n| nnd.contains(n)));
        for f in &mut t.foreign_keys {
            f.deferrable = schema_def::Deferrable::No;
        }
    }
    out
}

#[test]
fn schema_subcommands_for_cron_and_ci() {
    let dir = temp_dir("schema-cmd");
    let full = workspace_root().join("tests/data/schema/full.toml");
    // generate
    let out = run(myrmex()
        .args(["schema", "generate"])
        .arg(&full)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("CREATE TABLE \"Order\" (")
            && out.stdout.contains("GENERATED BY DEFAULT AS IDENTITY")
    );
    let out = run(myrmex()
        .args(["schema", "generate"])
        .arg(&full)
        .args(["--dialect", "oracle"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown dialect `oracle`"),
        "{}",
        out.stderr
    );
    // a bad definition names the file, line and problem
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"integr\" }]\n",
    )
    .unwrap();
    let out = run(myrmex()
        .args(["schema", "generate"])
        .arg(&bad)
        .args(["--dialect", "sqlite"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("bad.toml: line 3") && out.stderr.contains("unknown type `integr`"),
        "{}",
        out.stderr
    );
    let invalid = dir.join("invalid.toml");
    std::fs::write(&invalid, "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"int\" }]\nforeign_keys = [{ columns = [\"a\"], ref_table = \"nope\" }]\n").unwrap();
    let out = run(myrmex()
        .args(["schema", "generate"])
        .arg(&invalid)
        .args(["--dialect", "sqlite"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("table `t`, foreign key `t_a_fkey`: references unknown table `nope`"),
        "{}",
        out.stderr
    );
    // apply with sqlite3, then inspect, diff and lint the live database
    let db = dir.join("app.db");
    let ddl = run(myrmex()
        .args(["schema", "generate"])
        .arg(&full)
        .args(["--dialect", "sqlite"]))
    .stdout;
    let st = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(&ddl)
        .status()
        .unwrap();
    assert!(st.success());
    let url = format!("sqlite://{}", db.display());
    let out = run(myrmex().args(["schema", "inspect", "--db", &url]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let back = SchemaDefinition::from_toml_str(&out.stdout, "inspect output").unwrap();
    assert_same(
        &fixture("full.toml"),
        &back,
        Dialect::Sqlite,
        "inspect TOML",
    );
    let out = run(myrmex().args(["--format", "json", "schema", "inspect", "--db", &url]));
    assert!(
        SchemaDefinition::from_json_str(&out.stdout, "json").is_ok(),
        "{}",
        out.stdout
    );
    let out = run(myrmex().args(["schema", "diff", &url]).arg(&full));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "-- no changes\n"),
        "{}",
        out.stderr
    );
    let v2 = dir.join("v2.json");
    std::fs::write(&v2, version_two(&fixture("full.toml")).to_json()).unwrap();
    let out = run(myrmex().args(["schema", "diff", &url]).arg(&v2));
    assert!(
        out.stdout
            .contains("-- drop table employee [DESTRUCTIVE]\nDROP TABLE employee;"),
        "{}",
        out.stdout
    );
    let out = run(myrmex().args(["schema", "diff"]).arg(&full).arg(&v2));
    assert_eq!(out.code, 2, "two files need --dialect: {}", out.stderr);
    // lint: exit 1 on errors, SARIF for code scanning
    let money = dir.join("money.toml");
    std::fs::write(
        &money,
        "[[tables]]\nname = \"invoice\"\ncolumns = [{ name = \"amount\", type = \"double\" }]\n",
    )
    .unwrap();
    let out = run(myrmex().args(["schema", "lint"]).arg(&money));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("error[missing-primary-key] invoice")
            && out.stdout.contains("error[float-for-money] invoice.amount"),
        "{}",
        out.stdout
    );
    let out = run(myrmex()
        .args(["--format", "sarif", "schema", "lint"])
        .arg(&money));
    let sarif: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    let out = run(myrmex().args(["schema", "lint", &url]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("warning[reserved-word] Order"),
        "{}",
        out.stdout
    );
    let out = run(myrmex().args(["--format", "sarif", "-e", "1"]));
    assert_eq!(out.code, 2, "sarif is for schema commands only");
}

#[test]
fn chinook_schema_copies_from_sqlite_to_the_servers() {
    let dir = temp_dir("chinook-schema");
    let file = dir.join("chinook.db");
    let sql = std::fs::File::open(datasets().join("chinook/Chinook_Sqlite.sql")).unwrap();
    let st = std::process::Command::new("sqlite3")
        .arg(&file)
        .stdin(sql)
        .status()
        .unwrap();
    assert!(st.success(), "sqlite3 could not load Chinook");
    let mut lite =
        DatabaseConnection::from_url("chinook", &format!("sqlite://{}", file.display())).unwrap();
    lite.connect_with(&registry()).unwrap();
    let def = lite.schema().unwrap();
    assert_eq!(def.tables.len(), 11);
    let track = def.table("Track").unwrap();
    assert_eq!(track.column("Name").unwrap().ty, ColumnType::Varchar(200));
    assert_eq!(
        track.column("UnitPrice").unwrap().ty,
        ColumnType::Decimal {
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(track.foreign_keys.len(), 3);
    assert!(schema_def::problems(&def, None).is_empty());
    for t in targets("chinook-schema").into_iter().skip(1) {
        let mut c = t.connect();
        let d = c.schema_dialect().unwrap();
        c.apply_schema(&def).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_same(&def, &c.schema().unwrap(), d, "Chinook copied from SQLite");
    }
}

#[test]
fn unsupported_objects_are_never_silent() {
    let dir = temp_dir("schema-unsupported");
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    std::fs::write(
        &a,
        "enums = [{ name = \"mood\", labels = [\"sad\", \"happy\"] }]\n[[unsupported]]\nkind = \"rule\"\nname = \"public.t.r\"\nreason = \"rules are not part of the definition\"\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "enums = [{ name = \"mood\", labels = [\"happy\", \"sad\"] }]\n",
    )
    .unwrap();
    let line = "unsupported: rule public.t.r: rules are not part of the definition";
    // generate: a comment heads the script, a line on stderr; --strict fails with the list
    let out = run(myrmex()
        .args(["schema", "generate"])
        .arg(&a)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!("-- {line}\n")),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains(line), "{}", out.stderr);
    let out = run(myrmex()
        .args(["schema", "generate", "--strict"])
        .arg(&a)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("--strict") && out.stderr.contains(line),
        "{}",
        out.stderr
    );
    // diff: the refused enum change and the inspected rule, never "no changes"
    let out = run(myrmex()
        .args(["schema", "diff"])
        .arg(&a)
        .arg(&b)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("-- {line}")), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("-- unsupported: enum mood: labels removed or reordered"),
        "{}",
        out.stdout
    );
    let out = run(myrmex()
        .args(["--format", "json", "schema", "diff"])
        .arg(&a)
        .arg(&b)
        .args(["--dialect", "postgres"]));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["changes"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["unsupported"][0]["kind"], "rule");
    assert_eq!(v["unsupported"][1]["kind"], "enum");
    let out = run(myrmex()
        .args(["schema", "diff", "--strict"])
        .arg(&a)
        .arg(&b)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The same definition on both sides, nothing unsupported: no changes.
    let out = run(myrmex()
        .args(["schema", "diff"])
        .arg(&b)
        .arg(&b)
        .args(["--dialect", "postgres"]));
    assert_eq!(out.stdout, "-- no changes\n", "{}", out.stderr);
}

/// `pg_dump --schema-only` of `url`, without comments, blank lines and the dump's session
/// lines: the catalog as PostgreSQL itself prints it.
fn pg_schema_dump(url: &str) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", url])
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn postgres_diff_of_every_object_kind_matches_pg_dump_of_the_target() {
    // The examples of a silent "no changes": a generated column next to a default, serial
    // vs identity ALWAYS/BY DEFAULT, a shared sequence that is no identity, enum labels, a
    // view over a changed column; plus domains, sequences, RLS policies, triggers, routines,
    // EXCLUDE, NULLS NOT DISTINCT, MATCH FULL, DEFERRABLE, NOT VALID, index keys, partitions.
    let Some(server) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let before = fixture("pg_objects_before.toml");
    let after = fixture("pg_objects_after.toml");
    let migrated = ScratchDb::create(&server, "postgres", "pgobj_a");
    let fresh = ScratchDb::create(&server, "postgres", "pgobj_b");
    let mut a = migrated.connect();
    a.apply_schema(&before).unwrap();
    a.execute("INSERT INTO t (c) VALUES ('kept')", &[]).unwrap();
    let plan = schema_def::diff_with(
        &before,
        &after,
        Dialect::Postgres,
        &schema_def::DiffOptions::default(),
    )
    .unwrap();
    assert!(
        plan.unsupported.is_empty() && plan.notices.is_empty(),
        "{plan:#?}"
    );
    let add_value: Vec<&schema_def::Change> = plan
        .changes
        .iter()
        .filter(|c| c.sql.starts_with("ALTER TYPE mood ADD VALUE"))
        .collect();
    assert_eq!(add_value.len(), 2);
    assert!(add_value.iter().all(|c| c.outside_transaction));
    assert!(plan
        .changes
        .iter()
        .any(|c| c.destructive && c.sql == "ALTER TABLE t DROP COLUMN g"));
    assert!(!plan
        .changes
        .iter()
        .any(|c| c.sql.contains("IDENTITY") && c.sql.contains(" s ")));
    a.apply_changes(&plan.changes).unwrap_or_else(|e| {
        panic!(
            "{e}\n{}",
            schema_def::script(
                &plan
                    .changes
                    .iter()
                    .map(|c| c.sql.clone())
                    .collect::<Vec<_>>()
            )
        )
    });
    let mut b = fresh.connect();
    b.apply_schema(&after).unwrap();
    assert_eq!(pg_schema_dump(&migrated.url), pg_schema_dump(&fresh.url));
    // The row survived, its new columns computed or drawn from their sequences.
    let rows = a.execute_query("SELECT c, g FROM t", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.get(0, "c"), Some(&Value::Text("kept".into())));
    assert_eq!(rows.get(0, "g"), Some(&Value::Text("v".into())));
}

/// `*` reads every non-system schema (attached database), `+grants` privileges: PostgreSQL
/// reads them, MySQL/MariaDB list them as unsupported rather than returning none, SQLite has
/// none. Through the binary, `inspect --grants` and `diff --grants` read them from a database.
#[test]
fn schema_requests_read_every_schema_and_privileges() {
    for t in targets("schema-request") {
        let mut c = t.connect();
        let d = c.schema_dialect().unwrap();
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", &[])
            .unwrap();
        let grants = vec![myrmex_core::SCHEMA_GRANTS.to_string()];
        match t.engine {
            "sqlite" => {
                let other = temp_dir("schema-request").join("other.db");
                c.execute(&format!("ATTACH '{}' AS other", other.display()), &[])
                    .unwrap();
                c.execute("CREATE TABLE other.x (id INTEGER PRIMARY KEY)", &[])
                    .unwrap();
                let all = c.schema_of(&[myrmex_core::SCHEMA_ALL.to_string()]).unwrap();
                let names: Vec<_> = all
                    .tables
                    .iter()
                    .map(|t| (t.schema.clone(), t.name.clone()))
                    .collect();
                // An SQLite definition names no database: the attached one's tables by name.
                assert!(names.contains(&(None, "t".into())), "{names:?}");
                assert!(names.contains(&(None, "x".into())), "{names:?}");
                let def = c.schema_of(&grants).unwrap();
                assert!(def.unsupported.is_empty() && def.grants.is_empty(), "{d}");
            }
            "postgres" => {
                c.execute("CREATE SCHEMA other", &[]).unwrap();
                c.execute("CREATE TABLE other.x (id int PRIMARY KEY)", &[])
                    .unwrap();
                c.execute("GRANT SELECT ON t TO PUBLIC", &[]).unwrap();
                let all = c.schema_of(&[myrmex_core::SCHEMA_ALL.to_string()]).unwrap();
                assert!(all
                    .tables
                    .iter()
                    .any(|t| t.schema.as_deref() == Some("other") && t.name == "x"));
                assert!(c.schema().unwrap().grants.is_empty(), "grants are opt-in");
                let def = c.schema_of(&grants).unwrap();
                assert!(
                    def.grants
                        .iter()
                        .any(|g| g.object == "t" && g.to == "PUBLIC"),
                    "{:?}",
                    def.grants
                );
                // The binary: inspect --grants writes them; a definition without them
                // diffed with --grants revokes them.
                let dir = temp_dir("schema-request-cli");
                let plain = dir.join("plain.json");
                std::fs::write(&plain, c.schema().unwrap().to_json()).unwrap();
                let out = run(myrmex().args([
                    "--format", "json", "schema", "inspect", "--grants", "--db", &t.url,
                ]));
                assert_eq!(out.code, 0, "{}", out.stderr);
                assert!(out.stdout.contains("\"PUBLIC\""), "{}", out.stdout);
                let out = run(myrmex()
                    .args(["schema", "diff", "--grants", &t.url])
                    .arg(&plain));
                assert_eq!(out.code, 0, "{}", out.stderr);
                assert!(out.stdout.contains("REVOKE SELECT ON"), "{}", out.stdout);
                let out = run(myrmex().args(["schema", "diff", &t.url]).arg(&plain));
                assert!(!out.stdout.contains("REVOKE"), "{}", out.stdout);
            }
            _ => {
                let def = c.schema_of(&grants).unwrap();
                assert!(
                    def.unsupported.iter().any(|u| u.kind == "privileges"),
                    "{d}: {:?}",
                    def.unsupported
                );
            }
        }
    }
}

/// A view written by hand compares with the text the engine keeps (PostgreSQL qualifies its
/// columns, MariaDB quotes them): after applying the definition, diffing the database with
/// the file says no changes, and a real change to the view is still seen.
#[test]
fn hand_written_views_compare_as_the_engine_keeps_them() {
    let dir = temp_dir("schema-engine-form");
    for t in targets("schema-engine-form") {
        let file = dir.join(format!("{}.toml", t.engine));
        let write = |filter: &str| {
            std::fs::write(
                &file,
                format!(
                    "[[tables]]\nname = \"t\"\ncolumns = [{{ name = \"id\", type = \"int\", nullable = false }}, {{ name = \"n\", type = \"int\" }}]\nprimary_key = [\"id\"]\n\n[[views]]\nname = \"v\"\nsql = \"SELECT id, n FROM t WHERE n > {filter}\"\n"
                ),
            )
            .unwrap()
        };
        write("1");
        let mut c = t.connect();
        c.apply_schema(&SchemaDefinition::load(&file).unwrap())
            .unwrap();
        let out = run(myrmex().args(["schema", "diff", &t.url]).arg(&file));
        assert_eq!(out.code, 0, "{}: {}", t.engine, out.stderr);
        assert_eq!(
            out.stdout, "-- no changes\n",
            "{}: {}",
            t.engine, out.stderr
        );
        write("2");
        let out = run(myrmex().args(["schema", "diff", &t.url]).arg(&file));
        assert!(out.stdout.contains("VIEW"), "{}: {}", t.engine, out.stdout);
    }
}
