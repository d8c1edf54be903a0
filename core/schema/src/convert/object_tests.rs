//! Rules per object kind: indexes, partitions, identity, foreign keys, defaults, generated
//! columns and the kinds conversion does not translate.

use super::*;
use crate::generate::generate_schema;
use crate::types::ColumnType;
use crate::DefaultValue;

fn def(toml_text: &str) -> SchemaDefinition {
    SchemaDefinition::from_toml_str(toml_text, "t.toml").unwrap()
}

fn conv(d: &SchemaDefinition, from: Dialect, to: Dialect, rules: &[&str]) -> Conversion {
    let rules = CastRules::parse(&rules.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let c = convert_schema(d, from, to, &rules).unwrap_or_else(|e| panic!("{from} → {to}: {e}"));
    generate_schema(&c.definition, to).unwrap_or_else(|e| panic!("{from} → {to}: {e}"));
    c
}

fn line<'a>(c: &'a Conversion, kind: ObjectKind, object: &str) -> &'a Decision {
    c.report
        .iter()
        .find(|d| d.kind == kind && d.object == object)
        .unwrap_or_else(|| panic!("no {kind} {object} line in\n{}", c.report_text()))
}

const INDEXED: &str = r#"
[[tables]]
name = "doc"
primary_key = ["id"]
columns = [
  { name = "id", type = "int" },
  { name = "title", type = "varchar(200)" },
  { name = "tags", type = { postgres = "text[]" } },
  { name = "score", type = "int" },
]
indexes = [
  { name = "doc_tags_idx", columns = ["tags"], method = "gin" },
  { name = "doc_title_cover", columns = ["title"], include = ["score"], method = "hash" },
  { name = "doc_title_ops", columns = [{ column = "title", opclass = "text_pattern_ops", nulls = "last" }] },
  { name = "doc_lower_idx", columns = [{ expr = "lower(title)" }] },
  { name = "doc_score_pos", columns = ["score"], where = "score > 0" },
  { name = "doc_regex_idx", columns = ["score"], where = "title ~ 'x'" },
]
"#;

#[test]
fn index_methods_keys_and_predicates_per_target() {
    let d = def(INDEXED);
    let names = |c: &Conversion| -> Vec<String> {
        c.definition.tables[0]
            .indexes
            .iter()
            .filter_map(|i| i.name.clone())
            .collect()
    };
    let my = conv(&d, Dialect::Postgres, Dialect::Mysql, &[]);
    assert_eq!(
        names(&my),
        ["doc_title_cover", "doc_title_ops", "doc_lower_idx"]
    );
    assert_eq!(
        line(&my, ObjectKind::Index, "doc_tags_idx").action,
        Action::Dropped
    );
    assert!(line(&my, ObjectKind::Index, "doc_score_pos")
        .detail
        .contains("no partial indexes"));
    let cover = &my.definition.tables[0].indexes[0];
    assert!(cover.include.is_empty() && cover.method.is_none());
    let ops = &my.definition.tables[0].indexes[1].columns[0];
    assert!(ops.opclass.is_none() && ops.nulls_first.is_none());
    assert_eq!(
        my.definition.tables[0].indexes[2].columns[0]
            .expr
            .as_deref(),
        Some("LOWER(title)")
    );

    let maria = conv(&d, Dialect::Postgres, Dialect::Mariadb, &[]);
    assert!(line(&maria, ObjectKind::Index, "doc_lower_idx")
        .detail
        .contains("no expression indexes"));

    let lite = conv(&d, Dialect::Postgres, Dialect::Sqlite, &[]);
    assert!(names(&lite).contains(&"doc_score_pos".to_string()));
    assert_eq!(
        line(&lite, ObjectKind::Index, "doc_regex_idx").action,
        Action::Dropped
    );
    assert!(line(&lite, ObjectKind::Index, "doc_regex_idx").loss);
}

#[test]
fn mysql_prefix_lengths_go_where_the_target_indexes_whole_values() {
    let d = def(r#"
[[tables]]
name = "u"
columns = [{ name = "email", type = "varchar(255)" }]
indexes = [{ name = "u_email", unique = true, columns = [{ column = "email", length = 20 }] }]
"#);
    let c = conv(&d, Dialect::Mysql, Dialect::Postgres, &[]);
    assert!(c.definition.tables[0].indexes[0].columns[0]
        .length
        .is_none());
    assert!(
        line(&c, ObjectKind::Index, "u_email").loss,
        "a unique prefix was stricter"
    );
}

#[test]
fn mysql_inline_partitions_into_postgres_are_one_table() {
    let d = def(r#"
[[tables]]
name = "log"
primary_key = ["id"]
partition_by = "RANGE (id)"
partitions = [{ name = "p0", bound = "VALUES LESS THAN (100)" }, { name = "p1", bound = "VALUES LESS THAN MAXVALUE" }]
columns = [{ name = "id", type = "int" }]
"#);
    let c = conv(&d, Dialect::Mysql, Dialect::Postgres, &[]);
    let t = &c.definition.tables[0];
    assert!(t.partition_by.is_none() && t.partitions.is_empty());
    let l = line(&c, ObjectKind::Table, "log");
    assert_eq!(l.action, Action::Flattened);
    assert!(l.detail.contains("2 inline partition(s)"), "{}", l.detail);
    // Within the MySQL family partitions stay.
    let c = conv(&d, Dialect::Mysql, Dialect::Mariadb, &[]);
    assert_eq!(c.definition.tables[0].partitions.len(), 2);
}

#[test]
fn identity_rules_per_target() {
    let d = def(r#"
[[tables]]
name = "a"
primary_key = ["k", "id"]
columns = [
  { name = "k", type = "int" },
  { name = "id", type = "bigint", identity = "always", identity_options = { start = 100 } },
  { name = "n", type = "int", identity = true },
]
"#);
    let my = conv(&d, Dialect::Postgres, Dialect::Mysql, &[]);
    let t = &my.definition.tables[0];
    assert_eq!(t.column("id").unwrap().identity, crate::Identity::ByDefault);
    assert!(t.column("id").unwrap().identity_options.is_none());
    assert!(!t.column("n").unwrap().identity.is_set());
    assert!(line(&my, ObjectKind::Column, "a.n").loss);
    assert_eq!(
        line(&my, ObjectKind::Unique, "a_id_key").action,
        Action::Mapped
    );
    let lite = conv(&d, Dialect::Postgres, Dialect::Sqlite, &[]);
    assert!(lite.definition.tables[0]
        .columns
        .iter()
        .all(|c| !c.identity.is_set()));
    assert!(lite
        .report
        .iter()
        .any(|d| d.object == "a.id" && d.loss && d.detail.contains("whole primary key")));
}

#[test]
fn foreign_key_options_the_target_lacks() {
    let d = def(r#"
[[tables]]
name = "p"
primary_key = ["id"]
columns = [{ name = "id", type = "int" }]
[[tables]]
name = "c"
columns = [{ name = "p", type = "int", default = 0 }]
foreign_keys = [{ name = "c_p_fk", columns = ["p"], ref_table = "p", on_delete = "set default", deferrable = "deferred", match_full = true }]
unique = [{ name = "c_p_key", columns = ["p"], nulls_not_distinct = true }]
"#);
    let c = conv(&d, Dialect::Postgres, Dialect::Mariadb, &[]);
    let f = &c.definition.tables[1].foreign_keys[0];
    assert_eq!(f.on_delete, crate::FkAction::Restrict);
    assert!(!f.match_full && f.deferrable == crate::Deferrable::No);
    let lines: Vec<&Decision> = c.report.iter().filter(|d| d.object == "c_p_fk").collect();
    assert_eq!(lines.len(), 3, "{}", c.report_text());
    assert!(line(&c, ObjectKind::Unique, "c_p_key").loss);
}

#[test]
fn defaults_and_generated_columns() {
    let d = def(r#"
[[tables]]
name = "t"
columns = [
  { name = "a", type = "text", default = { expr = "gen_random_uuid()" } },
  { name = "b", type = "int" },
  { name = "c", type = "int", generated = { expr = "b * 2", stored = false } },
  { name = "d", type = "bool", default = { expr = "true" } },
]
"#);
    let err = convert_schema(
        &d,
        Dialect::Postgres,
        Dialect::Sqlite,
        &CastRules::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("default t.a: refused") && err.contains("gen_random_uuid"),
        "{err}"
    );
    assert!(err.contains("--cast 'default t.a drop'"), "{err}");
    let c = conv(
        &d,
        Dialect::Postgres,
        Dialect::Sqlite,
        &["default t.a drop"],
    );
    let t = &c.definition.tables[0];
    assert!(t.column("a").unwrap().default.is_none());
    assert_eq!(
        t.column("d").unwrap().default,
        Some(DefaultValue::Expr { expr: "1".into() })
    );
    let c = conv(
        &d,
        Dialect::Mysql,
        Dialect::Postgres,
        &["drop unconvertible defaults"],
    );
    let g = c.definition.tables[0]
        .column("c")
        .unwrap()
        .generated
        .clone()
        .unwrap();
    assert!(g.stored);
    assert_eq!(
        line(&c, ObjectKind::Generated, "t.c").action,
        Action::Mapped
    );
}

#[test]
fn domain_default_and_not_null_move_onto_the_column() {
    let d = def(r#"
domains = [{ name = "posint", type = "int", nullable = false, default = 1, checks = [{ expr = "VALUE > 0" }] }]
[[tables]]
name = "t"
columns = [{ name = "n", type = { postgres = "posint" } }]
"#);
    let c = conv(&d, Dialect::Postgres, Dialect::Mysql, &[]);
    let t = &c.definition.tables[0];
    let n = t.column("n").unwrap();
    assert_eq!(n.ty, ColumnType::Int);
    assert!(!n.nullable);
    assert_eq!(n.default, Some(DefaultValue::Int(1)));
    assert_eq!(t.checks[0].name.as_deref(), Some("t_n_check1"));
    assert_eq!(t.checks[0].expr, "n > 0");
    assert_eq!(
        line(&c, ObjectKind::Domain, "posint").action,
        Action::Mapped
    );
}

#[test]
fn kinds_not_converted_are_listed_one_line_each() {
    let d = def(r#"
schemas = [{ name = "app" }]
extensions = [{ name = "pgcrypto" }]
grants = [{ on = "table", object = "t", to = "reader", privileges = ["SELECT"] }]
events = [{ name = "nightly", sql = "CREATE EVENT nightly …" }]
virtual_tables = [{ name = "fts", module = "fts5" }]
unsupported = [{ kind = "rule", name = "t_rule" }]
views = [{ name = "mv", sql = "SELECT 1", materialized = true }]
[[tables]]
name = "t"
schema = "app"
unlogged = true
row_security = true
policies = [{ name = "own", using = "true" }]
excludes = [{ name = "t_no_overlap", elements = ["a WITH ="] }]
columns = [{ name = "a", type = "int", collation = "C" }]
"#);
    let c = conv(&d, Dialect::Postgres, Dialect::Sqlite, &[]);
    for (kind, name, loss) in [
        (ObjectKind::Schema, "app", false),
        (ObjectKind::Extension, "pgcrypto", false),
        (ObjectKind::Grant, "table t to reader", true),
        (ObjectKind::Event, "nightly", true),
        (ObjectKind::VirtualTable, "fts", true),
        (ObjectKind::Unsupported, "rule t_rule", true),
        (ObjectKind::MaterializedView, "mv", true),
        (ObjectKind::Policy, "t.own", true),
        (ObjectKind::Exclude, "t_no_overlap", true),
    ] {
        let l = line(&c, kind, name);
        assert_eq!(l.action, Action::NotConverted, "{l}");
        assert_eq!(l.loss, loss, "{l}");
    }
    let t = &c.definition.tables[0];
    assert!(t.schema.is_none() && !t.unlogged && !t.row_security);
    assert!(t.columns[0].collation.is_none());
    assert!(c.definition.grants.is_empty() && c.definition.views.is_empty());
}

#[test]
fn mysql_checks_cannot_read_the_auto_increment_column() {
    let d = def(r#"
[[tables]]
name = "t"
primary_key = ["id"]
columns = [{ name = "id", type = "int", identity = true }, { name = "n", type = "int" }]
checks = [{ name = "t_id_pos", expr = "id > 0" }, { name = "t_n_pos", expr = "n > 0" }]
"#);
    let c = conv(&d, Dialect::Postgres, Dialect::Mysql, &[]);
    let names: Vec<_> = c.definition.tables[0]
        .checks
        .iter()
        .filter_map(|k| k.name.clone())
        .collect();
    assert_eq!(names, ["t_n_pos"]);
    assert!(line(&c, ObjectKind::Check, "t_id_pos").loss);
    let c = conv(&d, Dialect::Postgres, Dialect::Mariadb, &[]);
    assert_eq!(c.definition.tables[0].checks.len(), 2);
}
