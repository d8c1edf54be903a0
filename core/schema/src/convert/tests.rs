//! Conversion of hand-written definitions holding every kind the rules handle.

use super::*;
use crate::generate::generate_schema;
use crate::types::ColumnType;

/// A Sakila-like PostgreSQL schema: a domain, an enum, an array, a tsvector, serial ids, an
/// inherited partition, a declarative partition, a view, a function and a trigger.
const SAKILA_LIKE: &str = r#"
enums = [{ name = "mpaa_rating", labels = ["G", "PG", "PG-13", "R", "NC-17"] }]
domains = [{ name = "year", type = "int", checks = [{ name = "year_check", expr = "((VALUE >= 1901) AND (VALUE <= 2155))" }] }]
sequences = [
  { name = "film_film_id_seq", owned_by = "film.film_id" },
  { name = "ticket_seq" },
]
views = [{ name = "film_list", sql = "SELECT title FROM film" }]
routines = [{ name = "film_in_stock", arguments = "integer, integer", sql = "CREATE FUNCTION film_in_stock() …" }]
triggers = [{ table = "film", name = "last_updated", sql = "CREATE TRIGGER …" }]
extensions = [{ name = "hstore" }]

[[tables]]
name = "film"
primary_key = ["film_id"]
columns = [
  { name = "film_id", type = "int", nullable = false, default = { expr = "nextval('film_film_id_seq'::regclass)" } },
  { name = "title", type = "text", nullable = false },
  { name = "release_year", type = { postgres = "year" } },
  { name = "rental_rate", type = "decimal(4,2)", nullable = false, default = "4.99" },
  { name = "rating", type = { postgres = "mpaa_rating" }, default = "G" },
  { name = "last_update", type = "timestamp", nullable = false, default = { expr = "now()" } },
  { name = "created", type = "date", default = { expr = "('now'::text)::date" } },
  { name = "special_features", type = { postgres = "text[]" } },
  { name = "fulltext", type = { postgres = "tsvector" }, nullable = false },
  { name = "price", type = { postgres = "money" } },
  { name = "attrs", type = { postgres = "hstore" } },
  { name = "active", type = "bool", default = true },
]
checks = [
  { name = "film_rate_check", expr = "(rental_rate >= 0::numeric)" },
  { name = "film_title_check", expr = "title ~ '^[A-Z]'" },
]
indexes = [
  { name = "film_fulltext_idx", columns = ["fulltext"], method = "gist" },
  { name = "idx_title", columns = ["title"] },
  { name = "idx_lower_title", columns = [{ expr = "lower(title)" }], where = "active = true" },
]

[[tables]]
name = "payment"
primary_key = ["payment_id"]
partition_by = "RANGE (payment_date)"
columns = [
  { name = "payment_id", type = "int", identity = "always" },
  { name = "amount", type = "decimal(5,2)", nullable = false },
  { name = "payment_date", type = "timestamptz", nullable = false },
]

[[tables]]
name = "payment_p2007_01"
partition_of = { parent = "payment", bound = "FOR VALUES FROM ('2007-01-01') TO ('2007-02-01')" }
columns = [
  { name = "payment_id", type = "int", nullable = false },
  { name = "amount", type = "decimal(5,2)", nullable = false },
  { name = "payment_date", type = "timestamptz", nullable = false },
]

[[tables]]
name = "payment_old"
inherits = ["payment"]
columns = [
  { name = "payment_id", type = "int", nullable = false },
  { name = "amount", type = "decimal(5,2)", nullable = false },
  { name = "payment_date", type = "timestamptz", nullable = false },
]
"#;

fn sakila_like() -> SchemaDefinition {
    SchemaDefinition::from_toml_str(SAKILA_LIKE, "sakila-like.toml").unwrap()
}

fn lenient() -> CastRules {
    CastRules::parse(&["drop unconvertible checks".into()]).unwrap()
}

fn line<'a>(c: &'a Conversion, kind: ObjectKind, object: &str) -> &'a Decision {
    c.report
        .iter()
        .find(|d| d.kind == kind && d.object == object)
        .unwrap_or_else(|| panic!("no {kind} {object} line in\n{}", c.report_text()))
}

#[test]
fn same_dialect_is_the_identity() {
    let def = sakila_like();
    let c = convert_schema(
        &def,
        Dialect::Postgres,
        Dialect::Postgres,
        &CastRules::default(),
    )
    .unwrap();
    assert_eq!(c.definition, def);
    assert!(c.report.is_empty());
}

#[test]
fn sakila_like_into_every_other_dialect_validates_and_generates() {
    for to in [Dialect::Mysql, Dialect::Mariadb, Dialect::Sqlite] {
        let c = convert_schema(&sakila_like(), Dialect::Postgres, to, &lenient())
            .unwrap_or_else(|e| panic!("{to}: {e}"));
        let ddl = generate_schema(&c.definition, to).unwrap_or_else(|e| panic!("{to}: {e}"));
        assert!(!ddl.contains("::"), "{to}: {ddl}");
        assert!(!ddl.to_ascii_lowercase().contains("now()"), "{to}: {ddl}");
        // Not converted, one line each, as losses.
        for (kind, name) in [
            (ObjectKind::View, "film_list"),
            (ObjectKind::Routine, "film_in_stock(integer, integer)"),
            (ObjectKind::Trigger, "film.last_updated"),
        ] {
            let d = line(&c, kind, name);
            assert_eq!(d.action, Action::NotConverted);
            assert!(d.loss);
        }
        assert!(line(&c, ObjectKind::Column, "film.fulltext").loss);
        assert_eq!(
            line(&c, ObjectKind::Check, "film_title_check").action,
            Action::Dropped
        );
        assert_eq!(
            line(&c, ObjectKind::Table, "payment_p2007_01").action,
            Action::Flattened
        );
        assert_eq!(
            line(&c, ObjectKind::Table, "payment_old").action,
            Action::Flattened
        );
        assert_eq!(
            line(&c, ObjectKind::Index, "film_fulltext_idx").action,
            Action::Dropped
        );
        let film = c.definition.table("film").unwrap();
        assert!(
            film.column("film_id").unwrap().identity.is_set(),
            "nextval → identity"
        );
        assert!(film.column("film_id").unwrap().default.is_none());
        assert_eq!(
            line(&c, ObjectKind::Sequence, "film_film_id_seq").action,
            Action::Mapped
        );
        // Domain: base type plus its check on the column.
        assert_eq!(film.column("release_year").unwrap().ty, ColumnType::Int);
        let year = film
            .checks
            .iter()
            .find(|k| k.name.as_deref() == Some("film_release_year_year_check"))
            .unwrap();
        assert_eq!(
            year.expr,
            "((release_year >= 1901) AND (release_year <= 2155))"
        );
        let rate = film
            .checks
            .iter()
            .find(|k| k.name.as_deref() == Some("film_rate_check"))
            .unwrap();
        assert_eq!(rate.expr, "(rental_rate >= 0)");
        assert!(c.definition.enums.is_empty() && c.definition.domains.is_empty());
        assert!(c.definition.views.is_empty() && c.definition.routines.is_empty());
        let last = film.column("last_update").unwrap();
        assert_eq!(
            last.default,
            Some(crate::DefaultValue::Expr {
                expr: "CURRENT_TIMESTAMP".into()
            })
        );
        match to {
            Dialect::Sqlite => {
                assert_eq!(film.column("rating").unwrap().ty, ColumnType::Text);
                assert!(film
                    .checks
                    .iter()
                    .any(|k| k.expr == "rating IN ('G', 'PG', 'PG-13', 'R', 'NC-17')"));
                assert!(film
                    .checks
                    .iter()
                    .any(|k| k.expr == "json_valid(special_features)"));
                assert_eq!(
                    line(&c, ObjectKind::Sequence, "ticket_seq").action,
                    Action::Dropped
                );
                // Partial index predicates translate for SQLite.
                let ix = film
                    .indexes
                    .iter()
                    .find(|i| i.name.as_deref() == Some("idx_lower_title"))
                    .unwrap();
                assert_eq!(ix.predicate.as_deref(), Some("active = 1"));
            }
            _ => {
                assert!(ddl.contains("ENUM('G','PG','PG-13','R','NC-17')"), "{ddl}");
                assert_eq!(
                    film.column("special_features").unwrap().ty,
                    ColumnType::Json
                );
                assert!(film
                    .indexes
                    .iter()
                    .all(|i| i.name.as_deref() != Some("idx_lower_title")));
                assert_eq!(
                    film.column("price").unwrap().ty,
                    ColumnType::Decimal {
                        precision: 19,
                        scale: 2
                    }
                );
                let ts = c
                    .definition
                    .table("payment")
                    .unwrap()
                    .column("payment_date")
                    .unwrap();
                assert_eq!(ts.ty, ColumnType::Timestamp);
                let seq = line(&c, ObjectKind::Sequence, "ticket_seq");
                if to == Dialect::Mariadb {
                    assert_eq!(seq.action, Action::Note);
                    assert_eq!(c.definition.sequences.len(), 1);
                } else {
                    assert_eq!(seq.action, Action::Dropped);
                }
            }
        }
    }
}

#[test]
fn refusals_name_every_object_and_rules_decide() {
    let err = convert_schema(
        &sakila_like(),
        Dialect::Postgres,
        Dialect::Mysql,
        &CastRules::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("check film_title_check: refused"), "{err}");
    assert!(
        err.contains("--cast 'check film_title_check drop'"),
        "{err}"
    );
    let rules = CastRules::parse(&[
        "check film_title_check drop".into(),
        "type tsvector drop".into(),
        "column film.price to text".into(),
    ])
    .unwrap();
    let c = convert_schema(&sakila_like(), Dialect::Postgres, Dialect::Mysql, &rules).unwrap();
    let film = c.definition.table("film").unwrap();
    assert!(film.column("fulltext").is_none());
    assert_eq!(film.column("price").unwrap().ty, ColumnType::Text);
    assert!(film
        .indexes
        .iter()
        .all(|i| i.name.as_deref() != Some("film_fulltext_idx")));
    assert_eq!(
        line(&c, ObjectKind::Column, "film.fulltext").action,
        Action::Dropped
    );
}

#[test]
fn strict_fails_listing_every_loss() {
    let mut rules = lenient();
    rules.strict = true;
    let err =
        convert_schema(&sakila_like(), Dialect::Postgres, Dialect::Sqlite, &rules).unwrap_err();
    let SchemaError::ConversionLoss { losses, .. } = &err else {
        panic!("{err}")
    };
    let text = losses.join("\n");
    for needle in [
        "view film_list",
        "routine film_in_stock",
        "trigger film.last_updated",
        "column film.fulltext",
        "table payment_old",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
}

#[test]
fn mysql_into_postgres_and_sqlite() {
    let def = SchemaDefinition::from_toml_str(
        r#"
[[tables]]
name = "film"
primary_key = ["film_id"]
columns = [
  { name = "film_id", type = { mysql = "smallint(5) unsigned" }, identity = true },
  { name = "title", type = "varchar(128)", nullable = false },
  { name = "rating", type = { mysql = "enum('G','PG','PG-13')" }, default = "G" },
  { name = "special_features", type = { mysql = "set('Trailers','Commentaries')" } },
  { name = "release_year", type = { mysql = "year(4)" } },
  { name = "last_update", type = { mysql = "timestamp" }, nullable = false, default = { expr = "CURRENT_TIMESTAMP" } },
  { name = "body", type = { mysql = "mediumtext" } },
]
checks = [{ name = "film_title_check", expr = "CHAR_LENGTH(title) > 0 AND title <> CONCAT('x', 'y')" }]
indexes = [{ name = "idx_title", columns = [{ column = "title", length = 10 }] }]
"#,
        "film.toml",
    )
    .unwrap();
    let c = convert_schema(
        &def,
        Dialect::Mysql,
        Dialect::Postgres,
        &CastRules::default(),
    )
    .unwrap();
    generate_schema(&c.definition, Dialect::Postgres).unwrap();
    let film = c.definition.table("film").unwrap();
    assert_eq!(film.column("film_id").unwrap().ty, ColumnType::Int);
    assert!(film.checks.iter().any(|k| k.expr == "film_id >= 0"));
    assert_eq!(c.definition.enums[0].name, "film_rating");
    assert_eq!(
        film.column("rating").unwrap().ty,
        types::raw(Dialect::Postgres, "film_rating")
    );
    assert_eq!(
        film.column("last_update").unwrap().ty,
        ColumnType::TimestampTz
    );
    assert_eq!(
        film.checks[0].expr,
        "LENGTH(title) > 0 AND title <> ('x' || 'y')"
    );
    assert!(film.indexes[0].columns[0].length.is_none());
    let rules = CastRules::parse(&["enum as check".into()]).unwrap();
    let c = convert_schema(&def, Dialect::Mysql, Dialect::Postgres, &rules).unwrap();
    assert!(c.definition.enums.is_empty());
    let c = convert_schema(&def, Dialect::Mysql, Dialect::Sqlite, &CastRules::default()).unwrap();
    generate_schema(&c.definition, Dialect::Sqlite).unwrap();
    let film = c.definition.table("film").unwrap();
    assert!(film
        .checks
        .iter()
        .any(|k| k.expr == "rating IN ('G', 'PG', 'PG-13')"));
}

#[test]
fn mysql_keys_on_text_columns_and_auto_increment_keys() {
    let def = SchemaDefinition::from_toml_str(
        r#"
[[tables]]
name = "tag"
primary_key = ["name"]
columns = [
  { name = "name", type = "text" },
  { name = "seq", type = "bigint", identity = true },
  { name = "note", type = "text" },
]
indexes = [{ name = "tag_note_idx", columns = ["note"] }]
[[tables]]
name = "post_tag"
columns = [{ name = "tag", type = "text" }]
foreign_keys = [{ columns = ["tag"], ref_table = "tag" }]
"#,
        "tags.toml",
    )
    .unwrap();
    let c = convert_schema(
        &def,
        Dialect::Postgres,
        Dialect::Mariadb,
        &CastRules::default(),
    )
    .unwrap();
    let ddl = generate_schema(&c.definition, Dialect::Mariadb).unwrap();
    let tag = c.definition.table("tag").unwrap();
    assert_eq!(tag.column("name").unwrap().ty, ColumnType::Varchar(255));
    assert_eq!(
        c.definition
            .table("post_tag")
            .unwrap()
            .column("tag")
            .unwrap()
            .ty,
        ColumnType::Varchar(255)
    );
    assert_eq!(tag.indexes[0].columns[0].length, Some(255));
    assert!(ddl.contains("CONSTRAINT tag_seq_key UNIQUE (seq)"), "{ddl}");
}

#[test]
fn long_and_clashing_names_are_shortened_and_qualified() {
    let long = "a".repeat(70);
    let def = SchemaDefinition::from_toml_str(
        &format!(
            r#"
[[tables]]
name = "t1"
columns = [{{ name = "a", type = "int" }}]
indexes = [{{ name = "idx_a", columns = ["a"] }}, {{ name = "{long}", columns = ["a"] }}]
[[tables]]
name = "t2"
columns = [{{ name = "a", type = "int" }}]
indexes = [{{ name = "idx_a2", columns = ["a"] }}]
"#
        ),
        "names.toml",
    )
    .unwrap();
    let c = convert_schema(
        &def,
        Dialect::Mysql,
        Dialect::Postgres,
        &CastRules::default(),
    )
    .unwrap();
    let t1 = c.definition.table("t1").unwrap();
    let n = t1.indexes[1].name.clone().unwrap();
    assert_eq!(n.len(), 63);
    assert_eq!(line(&c, ObjectKind::Index, &long).action, Action::Rewritten);
}
