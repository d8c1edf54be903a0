//! Reading whole schemas from a live server.

use myrmex_plugin::schema::{ColumnType, FkAction};

/// Two small tables with every kind of column, key and index the definition holds.
pub(crate) const SHOP: &str = "\
    CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
      name varchar(80) NOT NULL UNIQUE, born date); \
    CREATE TABLE books (id serial PRIMARY KEY, \
      author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE, \
      title text NOT NULL, price numeric(10,2) DEFAULT 0 CHECK (price >= 0), tags jsonb, \
      CONSTRAINT books_title_key UNIQUE (author_id, title)); \
    CREATE INDEX books_cheap_idx ON books (lower(title)) WHERE price < 10; \
    CREATE INDEX \"Books Tags\" ON books (tags); \
    COMMENT ON TABLE books IS 'for sale'; \
    COMMENT ON COLUMN books.title IS 'as printed'";

#[test]
fn reads_keys_checks_indexes_and_identity_of_the_current_schema() {
    use crate::testing;
    use myrmex_plugin::Connection;
    let mut c = testing::in_fresh_schema("t_schema_shop");
    c.execute_batch(SHOP).unwrap();
    let def = c.schema(&[]).unwrap();
    let names: Vec<&str> = def.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["authors", "books"]);

    let authors = def.table("authors").unwrap();
    assert_eq!(authors.primary_key, ["id"]);
    let id = authors.column("id").unwrap();
    assert!(id.identity.is_set() && !id.nullable && id.default.is_none());
    assert_eq!(id.ty, ColumnType::BigInt);
    assert_eq!(authors.column("name").unwrap().ty, ColumnType::Varchar(80));
    assert!(authors.column("born").unwrap().nullable);
    assert_eq!(authors.unique.len(), 1);
    assert_eq!(authors.unique[0].columns, ["name"]);
    assert!(authors.indexes.is_empty(), "{:?}", authors.indexes);

    let books = def.table("books").unwrap();
    assert_eq!(books.comment.as_deref(), Some("for sale"));
    // A serial column is a default drawn from the sequence it owns, never identity.
    let serial = books.column("id").unwrap();
    assert!(!serial.identity.is_set(), "{serial:?}");
    assert!(
        matches!(&serial.default, Some(myrmex_plugin::schema::DefaultValue::Expr { expr }) if expr.starts_with("nextval(")),
        "{serial:?}"
    );
    assert_eq!(id.identity, myrmex_plugin::schema::Identity::Always);
    let seq = &def.sequences[0];
    assert_eq!(
        (seq.name.as_str(), seq.owned_by.as_deref()),
        ("books_id_seq", Some("books.id"))
    );
    assert_eq!(
        def.sequences.len(),
        1,
        "the identity's sequence is not listed"
    );
    assert_eq!(
        books.column("title").unwrap().comment.as_deref(),
        Some("as printed")
    );
    let price = books.column("price").unwrap();
    assert_eq!(
        price.ty,
        ColumnType::Decimal {
            precision: 10,
            scale: 2
        }
    );
    assert!(price.default.is_some());
    assert_eq!(books.unique[0].name.as_deref(), Some("books_title_key"));
    assert_eq!(books.unique[0].columns, ["author_id", "title"]);
    assert_eq!(books.checks.len(), 1);
    assert!(
        books.checks[0].expr.contains("price >= "),
        "{:?}",
        books.checks
    );
    let fk = &books.foreign_keys[0];
    assert_eq!(
        (fk.columns.as_slice(), fk.ref_table.as_str()),
        (&["author_id".to_string()][..], "authors")
    );
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::Cascade, FkAction::NoAction)
    );
    let idx: Vec<(&str, Vec<String>, bool)> = books
        .indexes
        .iter()
        .map(|i| {
            (
                i.name.as_deref().unwrap_or(""),
                i.columns
                    .iter()
                    .map(|k| k.label().to_string())
                    .collect::<Vec<_>>(),
                i.predicate.is_some(),
            )
        })
        .collect();
    assert_eq!(
        idx,
        [
            ("Books Tags", vec!["tags".to_string()], false),
            ("books_cheap_idx", vec!["lower(title)".to_string()], true),
        ]
    );
}

#[test]
fn other_schemas_name_their_objects() {
    use crate::testing;
    use myrmex_plugin::Connection;
    let mut c = testing::in_fresh_schema("t_schema_a");
    c.execute_batch(
        "DROP SCHEMA IF EXISTS t_schema_b CASCADE; CREATE SCHEMA t_schema_b; \
         CREATE TABLE t_schema_a.t (id int PRIMARY KEY); \
         CREATE TABLE t_schema_b.t (id int PRIMARY KEY, a int REFERENCES t_schema_a.t)",
    )
    .unwrap();
    let one = c.schema(&["t_schema_b".to_string()]).unwrap();
    assert_eq!(one.tables.len(), 1);
    assert_eq!(one.tables[0].name, "t");
    assert_eq!(one.tables[0].schema.as_deref(), Some("t_schema_b"));
    let both = c
        .schema(&["t_schema_a".to_string(), "t_schema_b".to_string()])
        .unwrap();
    let names: Vec<(Option<&str>, &str)> = both
        .tables
        .iter()
        .map(|t| (t.schema.as_deref(), t.name.as_str()))
        .collect();
    assert_eq!(names, [(None, "t"), (Some("t_schema_b"), "t")]);
    let fk = &both.tables[1].foreign_keys[0];
    assert_eq!(
        (fk.ref_schema.as_deref(), fk.ref_table.as_str()),
        (Some("t_schema_a"), "t")
    );
    assert_eq!(both.schemas[0].name, "t_schema_b");
    c.execute_batch("DROP SCHEMA t_schema_b CASCADE").unwrap();
}

#[test]
fn reads_every_kind_of_object_and_names_what_it_cannot_hold() {
    use crate::testing;
    use myrmex_plugin::schema::{Deferrable, Identity};
    use myrmex_plugin::Connection;
    let mut c = testing::in_fresh_schema("t_schema_all");
    c.execute_batch(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); \
         CREATE DOMAIN posint AS int NOT NULL DEFAULT 1 CHECK (VALUE > 0); \
         CREATE SEQUENCE shared_seq START 100 INCREMENT 5; \
         CREATE TABLE p (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10) PRIMARY KEY, \
           n posint, m mood, name text COLLATE \"C\", \
           up text GENERATED ALWAYS AS (upper(name)) STORED, \
           s bigint DEFAULT nextval('shared_seq'), \
           CONSTRAINT p_name_key UNIQUE NULLS NOT DISTINCT (name) DEFERRABLE INITIALLY DEFERRED); \
         CREATE UNLOGGED TABLE q (a int, b int, UNIQUE (a, b)); \
         ALTER TABLE q ADD CONSTRAINT q_a_fkey FOREIGN KEY (a, b) REFERENCES q (a, b) MATCH FULL NOT VALID; \
         CREATE INDEX q_idx ON q USING btree (a DESC NULLS LAST, (b + 1)) INCLUDE (b) WITH (fillfactor = 70); \
         CREATE TABLE ev (d date, v int) PARTITION BY RANGE (d); \
         CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01'); \
         CREATE INDEX ev_v_idx ON ev (v); \
         CREATE TABLE child (extra int) INHERITS (q); \
         ALTER TABLE p ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY own ON p FOR SELECT USING (n > 1); \
         CREATE VIEW pv AS SELECT id, name FROM p WITH LOCAL CHECK OPTION; \
         CREATE MATERIALIZED VIEW pm AS SELECT count(*) AS k FROM p; \
         CREATE INDEX pm_k ON pm (k); \
         CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; \
         CREATE TRIGGER p_t BEFORE INSERT ON p FOR EACH ROW EXECUTE FUNCTION f(); \
         ALTER TABLE p DISABLE TRIGGER p_t; \
         CREATE AGGREGATE mysum (int) (sfunc = int4pl, stype = int); \
         CREATE RULE r AS ON INSERT TO pv DO INSTEAD NOTHING;"

    )
    .unwrap();
    let def = c.schema(&[]).unwrap();
    assert_eq!(def.enums[0].labels, ["sad", "ok", "happy"]);
    let d = &def.domains[0];
    assert_eq!(
        (d.name.as_str(), d.nullable, d.checks[0].expr.as_str()),
        ("posint", false, "VALUE > 0")
    );
    let shared = def
        .sequences
        .iter()
        .find(|s| s.name == "shared_seq")
        .unwrap();
    assert_eq!(
        (
            shared.options.start,
            shared.options.increment,
            shared.owned_by.as_deref()
        ),
        (Some(100), Some(5), None)
    );
    let p = def.table("p").unwrap();
    let id = p.column("id").unwrap();
    assert_eq!(id.identity, Identity::ByDefault);
    assert_eq!(id.identity_options.as_ref().unwrap().start, Some(10));
    assert_eq!(p.column("name").unwrap().collation.as_deref(), Some("C"));
    let up = p.column("up").unwrap();
    assert!(
        up.default.is_none() && up.generated.as_ref().unwrap().expr.contains("upper"),
        "{up:?}"
    );
    assert!(p.column("s").unwrap().default.is_some() && !p.column("s").unwrap().identity.is_set());
    assert!(p.unique[0].nulls_not_distinct && p.unique[0].deferrable == Deferrable::Deferred);
    assert!(p.row_security && p.policies[0].name == "own" && p.policies[0].command == "select");
    let q = def.table("q").unwrap();
    assert!(q.unlogged);
    assert!(q.foreign_keys[0].match_full && q.foreign_keys[0].not_valid);
    let ix = &q.indexes[0];
    assert!(
        ix.columns[0].desc && ix.columns[0].nulls_first == Some(false),
        "{ix:?}"
    );
    assert_eq!(ix.columns[1].expr.as_deref(), Some("(b + 1)"));
    assert_eq!(ix.include, ["b"]);
    assert_eq!(ix.with.get("fillfactor").map(String::as_str), Some("70"));
    let ev = def.table("ev").unwrap();
    assert_eq!(ev.partition_by.as_deref(), Some("RANGE (d)"));
    assert_eq!(ev.indexes.len(), 1);
    let part = def.table("ev_2020").unwrap();
    assert_eq!(part.partition_of.as_ref().unwrap().parent, "ev");
    assert!(
        part.indexes.is_empty(),
        "inherited index listed twice: {:?}",
        part.indexes
    );
    assert_eq!(def.table("child").unwrap().inherits, ["q"]);
    let pv = def.views.iter().find(|v| v.name == "pv").unwrap();
    assert_eq!(
        (pv.check_option.as_deref(), pv.depends_on.as_slice()),
        (Some("local"), &["p".to_string()][..])
    );
    let pm = def.views.iter().find(|v| v.name == "pm").unwrap();
    assert!(pm.materialized && pm.indexes.len() == 1);
    assert_eq!(def.routines[0].name, "f");
    assert!(def.triggers[0].disabled);
    let kinds: Vec<(&str, &str)> = def
        .unsupported
        .iter()
        .map(|u| (u.kind.as_str(), u.name.as_str()))
        .collect();
    assert!(
        kinds.contains(&("aggregate", "mysum(integer)")),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("rule", "pv.r")), "{kinds:?}");
}
