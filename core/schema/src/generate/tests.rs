//! Exact DDL of every generation rule, per dialect.

use super::*;

fn def(text: &str) -> SchemaDefinition {
    SchemaDefinition::from_toml_str(text, "test").unwrap()
}

fn ddl(text: &str, d: Dialect) -> Vec<String> {
    SchemaGenerator::new(d).statements(&def(text)).unwrap()
}

fn refused(text: &str, d: Dialect) -> String {
    SchemaGenerator::new(d)
        .statements(&def(text))
        .unwrap_err()
        .to_string()
}

#[test]
fn postgres_objects_in_dependency_order() {
    let s = ddl(
        r#"
        schemas = [{ name = "shop" }]
        extensions = [{ name = "citext", schema = "shop", version = "1.6" }]
        enums = [{ schema = "shop", name = "mood", labels = ["sad", "happy"], comment = "how" }]
        domains = [{ name = "pos", type = "int", default = 1, nullable = false, checks = [{ expr = "VALUE > 0" }] }]
        sequences = [{ name = "s", type = "bigint", start = 10, increment = 2, cache = 5, cycle = true }, { name = "o", owned_by = "shop.b.id" }]
        [[tables]]
        schema = "shop"
        name = "b"
        unlogged = true
        primary_key = ["id"]
        columns = [{ name = "id", type = "int", identity = "always", identity_options = { start = 5, increment = 5 } }]
        [[tables]]
        name = "c"
        inherits = ["shop.b"]
        columns = [{ name = "id", type = "int", nullable = false }, { name = "n", type = "text", collation = "C" }]
        options = { fillfactor = "80" }
        [[views]]
        name = "w"
        sql = "SELECT n FROM v"
        depends_on = ["v"]
        [[views]]
        name = "v"
        sql = "SELECT n FROM c;"
        columns = ["n"]
        check_option = "local"
        options = { security_barrier = "true" }
        comment = "names"
        depends_on = ["c"]
        [[triggers]]
        name = "tr"
        table = "c"
        sql = "CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW EXECUTE FUNCTION f()"
        disabled = true
        [[routines]]
        name = "f"
        sql = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
        [[grants]]
        on = "table"
        object = "c"
        to = "app"
        privileges = ["SELECT"]
        grant_option = true
    "#,
        Dialect::Postgres,
    );
    assert_eq!(
        s,
        [
            "SET check_function_bodies = false",
            "CREATE SCHEMA shop",
            "CREATE EXTENSION IF NOT EXISTS citext SCHEMA shop VERSION '1.6'",
            "CREATE TYPE shop.mood AS ENUM ('sad', 'happy')",
            "COMMENT ON TYPE shop.mood IS 'how'",
            "CREATE DOMAIN pos AS INTEGER DEFAULT 1 NOT NULL CHECK (VALUE > 0)",
            "CREATE SEQUENCE s AS BIGINT INCREMENT BY 2 START WITH 10 CACHE 5 CYCLE",
            "CREATE SEQUENCE o",
            "CREATE UNLOGGED TABLE shop.b (\n  id INTEGER GENERATED ALWAYS AS IDENTITY (INCREMENT BY 5 START WITH 5) NOT NULL,\n  PRIMARY KEY (id)\n)",
            "CREATE TABLE c (\n  n TEXT COLLATE \"C\"\n) INHERITS (shop.b) WITH (fillfactor = 80)",
            "ALTER SEQUENCE o OWNED BY shop.b.id",
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "CREATE VIEW v (n) WITH (security_barrier = true) AS SELECT n FROM c WITH LOCAL CHECK OPTION",
            "COMMENT ON VIEW v IS 'names'",
            "CREATE VIEW w AS SELECT n FROM v",
            "CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW EXECUTE FUNCTION f()",
            "ALTER TABLE c DISABLE TRIGGER tr",
            "GRANT SELECT ON TABLE c TO app WITH GRANT OPTION",
        ]
    );
}

#[test]
fn mariadb_columns_indexes_partitions_and_views() {
    let s = ddl(
        r#"
        [[tables]]
        name = "doc"
        primary_key = ["id"]
        columns = [
          { name = "id", type = "int", identity = true },
          { name = "body", type = "text", charset = "utf8mb4", collation = "utf8mb4_bin" },
          { name = "len", type = "int", generated = { expr = "length(body)", stored = false } },
          { name = "secret", type = "int", invisible = true },
        ]
        indexes = [{ name = "ft", columns = ["body"], method = "fulltext" }, { name = "h", columns = [{ column = "body", length = 10 }], method = "hash" }]
        partition_by = "HASH (id)"
        partitions = [{ name = "p0" }, { name = "p1" }]
        options = { row_format = "DYNAMIC" }
        [[views]]
        name = "v"
        sql = "SELECT id FROM doc"
        options = { algorithm = "MERGE", sql_security = "invoker" }
        check_option = "cascaded"
        [[events]]
        name = "e"
        sql = { mysql = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM doc" }
    "#,
        Dialect::Mariadb,
    );
    assert_eq!(
        s,
        [
            "CREATE TABLE doc (\n  id INT NOT NULL AUTO_INCREMENT,\n  body LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,\n  len INT GENERATED ALWAYS AS (length(body)) VIRTUAL,\n  secret INT INVISIBLE,\n  PRIMARY KEY (id)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC PARTITION BY HASH (id) (PARTITION p0, PARTITION p1)",
            "CREATE FULLTEXT INDEX ft ON doc (body)",
            "CREATE INDEX h USING HASH ON doc (body(10))",
            "CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v AS SELECT id FROM doc WITH CASCADED CHECK OPTION",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM doc",
        ]
    );
}

#[test]
fn sqlite_without_rowid_strict_generated_and_virtual_tables() {
    let s = ddl(
        r#"
        virtual_tables = [{ name = "fts", module = "fts5", arguments = ["title", "body"] }]
        [[tables]]
        name = "kv"
        primary_key = ["k"]
        without_rowid = true
        strict = true
        columns = [{ name = "k", type = "text", collation = "NOCASE" }, { name = "v", type = "int" }, { name = "w", type = "int", generated = { expr = "v * 2", stored = true } }]
    "#,
        Dialect::Sqlite,
    );
    assert_eq!(
        s,
        [
            "CREATE TABLE kv (\n  k TEXT COLLATE \"NOCASE\" NOT NULL,\n  v INTEGER,\n  w INTEGER GENERATED ALWAYS AS (v * 2) STORED,\n  PRIMARY KEY (k)\n) WITHOUT ROWID, STRICT",
            "CREATE VIRTUAL TABLE fts USING fts5(title, body)",
        ]
    );
}

#[test]
fn dialects_refuse_what_they_cannot_hold_naming_object_and_field() {
    let t = "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"int\" }]\n";
    let cases = [
        (
            format!("{t}excludes = [{{ elements = [\"a WITH =\"] }}]"),
            Dialect::Mariadb,
            "table `t`: mariadb has no EXCLUDE constraints (`excludes`)",
        ),
        (
            "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"int\" }, { name = \"b\", type = \"int\", generated = { expr = \"a\", stored = false } }]".to_string(),
            Dialect::Postgres,
            "column `b`: postgres has no VIRTUAL generated columns",
        ),
        (
            "[[views]]\nname = \"m\"\nmaterialized = true\nsql = \"SELECT 1\"".to_string(),
            Dialect::Sqlite,
            "materialized view `m`: sqlite has no materialized views",
        ),
        (
            "[[routines]]\nname = \"f\"\nsql = { postgres = \"CREATE FUNCTION f() …\" }".to_string(),
            Dialect::Mysql,
            "function `f()`: `sql` has no `mysql` text",
        ),
        (
            "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"int\" }, { name = \"b\", type = \"int\", nullable = false, generated = { expr = \"a\" } }]".to_string(),
            Dialect::Mariadb,
            "column `b`: mariadb cannot declare a generated column NOT NULL",
        ),
        (
            "enums = [{ name = \"e\", labels = [\"a\"] }]".to_string(),
            Dialect::Mysql,
            "enum `e`: mysql has no enum types",
        ),
        (
            format!("{t}[[tables.policies]]\nname = \"p\""),
            Dialect::Sqlite,
            "table `t`: sqlite has no row-level security policies (`policies`)",
        ),
    ];
    for (text, d, want) in cases {
        let e = refused(&text, d);
        assert!(e.contains(want), "{d}: {e}");
    }
}

#[test]
fn postgres_accepts_what_it_holds() {
    // A table without columns, two identity columns, an expression index and SET NULL on a
    // NOT NULL column are all valid PostgreSQL.
    let s = ddl(
        r#"
        [[tables]]
        name = "empty"
        columns = []
        [[tables]]
        name = "p"
        primary_key = ["id"]
        columns = [{ name = "id", type = "int", identity = true }, { name = "n", type = "bigint", identity = "always" }]
        [[tables]]
        name = "c"
        columns = [{ name = "p", type = "int", nullable = false }, { name = "e", type = "text" }]
        foreign_keys = [{ columns = ["p"], ref_table = "p", on_delete = "set null" }]
        indexes = [{ name = "c_lower", columns = [{ expr = "lower(e)" }] }]
    "#,
        Dialect::Postgres,
    );
    assert_eq!(s[0], "CREATE TABLE empty ()");
    assert!(s.contains(&"CREATE INDEX c_lower ON c (lower(e))".to_string()));
    let e = SchemaGenerator::new(Dialect::Mysql)
        .statements(&def("[[tables]]\nname = \"empty\"\ncolumns = []"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("table `empty`: table has no columns"), "{e}");
}

#[test]
fn the_script_names_what_it_leaves_out() {
    let d = def("[[unsupported]]\nkind = \"aggregate\"\nname = \"public.median\"\nreason = \"aggregates are not part of the definition\"\n[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"int\" }]");
    let s = SchemaGenerator::new(Dialect::Postgres)
        .generate(&d)
        .unwrap();
    assert!(s.starts_with("-- unsupported: aggregate public.median: aggregates are not part of the definition\nCREATE TABLE t"), "{s}");
}
