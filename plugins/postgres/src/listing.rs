//! The catalog listings (`\l`, `\dn`, `\dt`, `\dv`, `\di`, `\df`, `\du`, `\ds` in the shell):
//! one `pg_catalog` query per kind, modelled on the queries `psql` runs for the same
//! commands.
//!
//! Every query takes the name pattern as `$1` (a `LIKE` pattern: PostgreSQL names are
//! case-sensitive, so is the match) and sorts by its natural key. As in `psql`, the kinds that
//! live in schemas list what the search path makes visible, and system objects (`pg_catalog`,
//! `information_schema`, `pg_toast`, the `pg_` roles) are left out unless a pattern is given:
//! those queries take `$2`, true when the caller gave a pattern.

use myrmex_plugin::{CatalogKind, PluginError};

/// The query listing one kind of object.
#[derive(Debug, PartialEq, Eq)]
pub struct Listing {
    /// The SQL, with `$1` the `LIKE` pattern.
    pub sql: String,
    /// True when the query also takes `$2`: "a pattern was given, show system objects too".
    pub shows_system_on_pattern: bool,
}

/// Leaves out the system schemas unless `$2` (a pattern was given).
const USER_SCHEMAS: &str =
    "($2 OR (n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' \
     AND n.nspname !~ '^pg_toast'))";

const DATABASES: &str = "SELECT d.datname::text AS name, \
     pg_catalog.pg_get_userbyid(d.datdba)::text AS owner, \
     pg_catalog.pg_encoding_to_char(d.encoding)::text AS encoding, \
     d.datcollate::text AS \"collate\", d.datctype::text AS ctype, \
     CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT') \
       THEN pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(d.oid)) END AS size \
     FROM pg_catalog.pg_database d \
     WHERE d.datname LIKE $1 \
     ORDER BY d.datname";

const SCHEMAS: &str = "SELECT n.nspname::text AS name, \
     pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner \
     FROM pg_catalog.pg_namespace n \
     WHERE n.nspname LIKE $1 \
       AND ($2 OR (n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')) \
     ORDER BY n.nspname";

/// Relations of the kinds in `relkinds` (with their type names), visible on the search path.
fn relations(cases: &str, relkinds: &str) -> String {
    format!(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, \
         CASE c.relkind {cases} END AS type, \
         pg_catalog.pg_get_userbyid(c.relowner)::text AS owner \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ({relkinds}) AND c.relname LIKE $1 \
           AND pg_catalog.pg_table_is_visible(c.oid) AND {USER_SCHEMAS} \
         ORDER BY 1, 2"
    )
}

fn tables() -> String {
    relations(
        "WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' \
         WHEN 'f' THEN 'foreign table'",
        "'r', 'p', 'f'",
    )
}

fn views() -> String {
    relations(
        "WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'",
        "'v', 'm'",
    )
}

fn indexes() -> String {
    format!(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, t.relname::text AS \"table\", \
         am.amname::text AS method, i.indisunique AS \"unique\", \
         pg_catalog.pg_get_indexdef(c.oid) AS definition \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid \
         JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam \
         WHERE c.relkind IN ('i', 'I') AND c.relname LIKE $1 \
           AND pg_catalog.pg_table_is_visible(c.oid) AND {USER_SCHEMAS} \
         ORDER BY 1, 2"
    )
}

/// Functions, procedures, aggregates and window functions; `pg_proc.prokind` exists from
/// PostgreSQL 11 (before, flags said aggregate or window, and there were no procedures).
fn functions(server_version: i32) -> String {
    let kind = if server_version >= 110_000 {
        "CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window' \
         WHEN 'p' THEN 'procedure' ELSE 'function' END"
    } else {
        "CASE WHEN p.proisagg THEN 'aggregate' WHEN p.proiswindow THEN 'window' \
         ELSE 'function' END"
    };
    format!(
        "SELECT n.nspname::text AS schema, p.proname::text AS name, \
         pg_catalog.pg_get_function_result(p.oid) AS result_type, \
         pg_catalog.pg_get_function_arguments(p.oid) AS argument_types, \
         {kind} AS type \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.proname LIKE $1 AND pg_catalog.pg_function_is_visible(p.oid) \
           AND {USER_SCHEMAS} \
         ORDER BY 1, 2, 4"
    )
}

/// Roles with their attributes worded as `\du` words them, and the roles they belong to.
const ROLES: &str = "SELECT r.rolname::text AS name, \
     concat_ws(', ', \
       CASE WHEN r.rolsuper THEN 'Superuser' END, \
       CASE WHEN NOT r.rolinherit THEN 'No inheritance' END, \
       CASE WHEN r.rolcreaterole THEN 'Create role' END, \
       CASE WHEN r.rolcreatedb THEN 'Create DB' END, \
       CASE WHEN NOT r.rolcanlogin THEN 'Cannot login' END, \
       CASE WHEN r.rolreplication THEN 'Replication' END, \
       CASE WHEN r.rolbypassrls THEN 'Bypass RLS' END, \
       CASE WHEN r.rolconnlimit >= 0 THEN r.rolconnlimit || \
         CASE WHEN r.rolconnlimit = 1 THEN ' connection' ELSE ' connections' END END, \
       CASE WHEN r.rolvaliduntil IS NOT NULL \
         THEN 'Password valid until ' || r.rolvaliduntil END) AS attributes, \
     array_to_string(ARRAY(SELECT DISTINCT b.rolname::text \
       FROM pg_catalog.pg_auth_members m \
       JOIN pg_catalog.pg_roles b ON b.oid = m.roleid \
       WHERE m.member = r.oid ORDER BY 1), ', ') AS member_of \
     FROM pg_catalog.pg_roles r \
     WHERE r.rolname LIKE $1 AND ($2 OR r.rolname !~ '^pg_') \
     ORDER BY 1";

/// Sequences with their type and last value (NULL before the first `nextval`, or without
/// the privilege to read it); `pg_sequence` exists from PostgreSQL 10 (before, every
/// sequence was `bigint` and its value lived in the sequence itself).
fn sequences(server_version: i32) -> String {
    let (from, data_type, last_value) = if server_version >= 100_000 {
        (
            "JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid",
            "pg_catalog.format_type(s.seqtypid, NULL)",
            "CASE WHEN pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE') \
             THEN pg_catalog.pg_sequence_last_value(c.oid::regclass) END",
        )
    } else {
        ("", "'bigint'", "NULL::bigint")
    };
    format!(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, \
         {data_type} AS data_type, {last_value} AS last_value, \
         pg_catalog.pg_get_userbyid(c.relowner)::text AS owner \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace {from} \
         WHERE c.relkind = 'S' AND c.relname LIKE $1 \
           AND pg_catalog.pg_table_is_visible(c.oid) AND {USER_SCHEMAS} \
         ORDER BY 1, 2"
    )
}

/// The query listing `kind` on a server of `server_version` (`server_version_num`).
pub fn listing(kind: CatalogKind, server_version: i32) -> Result<Listing, PluginError> {
    let (sql, shows_system_on_pattern) = match kind {
        CatalogKind::DATABASES => (DATABASES.to_string(), false),
        CatalogKind::SCHEMAS => (SCHEMAS.to_string(), true),
        CatalogKind::TABLES => (tables(), true),
        CatalogKind::VIEWS => (views(), true),
        CatalogKind::INDEXES => (indexes(), true),
        CatalogKind::FUNCTIONS => (functions(server_version), true),
        CatalogKind::ROLES => (ROLES.to_string(), true),
        CatalogKind::SEQUENCES => (sequences(server_version), true),
        other => {
            return Err(PluginError::unsupported(format!(
                "the PostgreSQL driver cannot list {}",
                other.plural()
            )))
        }
    };
    Ok(Listing {
        sql,
        shows_system_on_pattern,
    })
}

#[cfg(test)]
mod tests {
    use super::listing;
    use crate::testing;
    use myrmex_plugin::{CatalogKind, Connection, ErrorKind, QueryStart, Value};

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    /// The result's column names and rows.
    fn table(r: &QueryStart) -> (Vec<String>, Vec<Vec<Value>>) {
        assert!(r.first.done, "every row comes in the first batch");
        myrmex_plugin::rows::table(r).expect("values of this contract's types")
    }

    /// The rows of `kind` matching `pattern` whose `name` column is `name`.
    fn find(
        c: &mut crate::PgConnection,
        kind: CatalogKind,
        pattern: &str,
        name: &str,
    ) -> (Vec<String>, Vec<Vec<Value>>) {
        let (cols, rows) = table(&c.catalog(kind, pattern).unwrap());
        let at = cols
            .iter()
            .position(|c| c == "name")
            .expect("a name column");
        let rows = rows.into_iter().filter(|r| r[at] == t(name)).collect();
        (cols, rows)
    }

    #[test]
    fn every_kind_lists_what_the_test_created_and_the_pattern_filters() {
        let mut c = testing::in_fresh_schema("t_catalog_kinds");
        c.execute_batch(
            "CREATE TABLE cat_t (id serial PRIMARY KEY, v text); \
             CREATE TABLE cat_p (d date) PARTITION BY RANGE (d); \
             CREATE UNIQUE INDEX cat_t_v ON cat_t (v); \
             CREATE VIEW cat_v AS SELECT id FROM cat_t; \
             CREATE MATERIALIZED VIEW cat_m AS SELECT 1 AS one; \
             CREATE FUNCTION cat_f(a int, b text DEFAULT 'x') RETURNS int \
               LANGUAGE sql AS 'SELECT a'; \
             CREATE PROCEDURE cat_proc() LANGUAGE sql AS 'SELECT 1'; \
             CREATE SEQUENCE cat_s AS integer; SELECT nextval('cat_s'), nextval('cat_s'); \
             DROP ROLE IF EXISTS t_catalog_role; \
             CREATE ROLE t_catalog_role NOLOGIN CREATEDB",
        )
        .unwrap();

        let (cols, rows) = find(&mut c, CatalogKind::TABLES, "cat_*", "cat_t");
        assert_eq!(cols, ["schema", "name", "type", "owner"]);
        assert_eq!(rows[0][..3], [t("t_catalog_kinds"), t("cat_t"), t("table")]);
        let (_, rows) = find(&mut c, CatalogKind::TABLES, "", "cat_p");
        assert_eq!(rows[0][2], Value::from("partitioned table"));
        let (_, all) = table(&c.catalog(CatalogKind::TABLES, "cat_?").unwrap());
        let names: Vec<&Value> = all.iter().map(|r| &r[1]).collect();
        assert_eq!(names, [&t("cat_p"), &t("cat_t")]);
        assert!(find(&mut c, CatalogKind::TABLES, "nope*", "cat_t")
            .1
            .is_empty());

        let (cols, rows) = find(&mut c, CatalogKind::VIEWS, "cat*", "cat_m");
        assert_eq!(cols, ["schema", "name", "type", "owner"]);
        assert_eq!(rows[0][2], t("materialized view"));
        assert_eq!(
            find(&mut c, CatalogKind::VIEWS, "", "cat_v").1[0][2],
            t("view")
        );
        assert!(find(&mut c, CatalogKind::VIEWS, "cat_t", "cat_v")
            .1
            .is_empty());

        let (cols, rows) = find(&mut c, CatalogKind::INDEXES, "cat_t_*", "cat_t_v");
        assert_eq!(
            cols,
            ["schema", "name", "table", "method", "unique", "definition"]
        );
        assert_eq!(rows[0][2..5], [t("cat_t"), t("btree"), Value::Bool(true)]);
        assert!(
            matches!(&rows[0][5], Value::Text(d) if d.contains("UNIQUE INDEX cat_t_v")),
            "{rows:?}"
        );
        assert_eq!(
            find(&mut c, CatalogKind::INDEXES, "", "cat_t_pkey").1.len(),
            1
        );

        let (cols, rows) = find(&mut c, CatalogKind::FUNCTIONS, "cat_f", "cat_f");
        assert_eq!(
            cols,
            ["schema", "name", "result_type", "argument_types", "type"]
        );
        assert_eq!(
            rows[0][2..],
            [
                t("integer"),
                t("a integer, b text DEFAULT 'x'::text"),
                t("function")
            ]
        );
        let (_, rows) = find(&mut c, CatalogKind::FUNCTIONS, "", "cat_proc");
        assert_eq!(rows[0][4], t("procedure"));
        assert!(find(&mut c, CatalogKind::FUNCTIONS, "cat_p*", "cat_f")
            .1
            .is_empty());

        let (cols, rows) = find(&mut c, CatalogKind::SEQUENCES, "cat_*", "cat_s");
        assert_eq!(cols, ["schema", "name", "data_type", "last_value", "owner"]);
        assert_eq!(rows[0][2..4], [t("integer"), Value::Int(2)]);
        let (_, rows) = find(&mut c, CatalogKind::SEQUENCES, "", "cat_t_id_seq");
        assert_eq!(rows[0][3], Value::Null, "never used: no last value");

        let (cols, rows) = find(&mut c, CatalogKind::ROLES, "t_catalog_*", "t_catalog_role");
        assert_eq!(cols, ["name", "attributes", "member_of"]);
        assert_eq!(rows[0][1], t("Create DB, Cannot login"));
        c.execute_batch("DROP ROLE t_catalog_role").unwrap();
    }

    #[test]
    fn databases_and_schemas_hide_the_system_unless_a_pattern_names_it() {
        let mut c = testing::in_fresh_schema("t_catalog_schemas");
        let (cols, rows) = find(&mut c, CatalogKind::SCHEMAS, "", "t_catalog_schemas");
        assert_eq!(cols, ["name", "owner"]);
        assert_eq!(rows.len(), 1);
        assert!(find(&mut c, CatalogKind::SCHEMAS, "", "pg_catalog")
            .1
            .is_empty());
        assert_eq!(
            find(&mut c, CatalogKind::SCHEMAS, "pg_*", "pg_catalog")
                .1
                .len(),
            1
        );
        // `_` in a pattern is a literal underscore, not LIKE's any-character.
        assert!(
            find(
                &mut c,
                CatalogKind::SCHEMAS,
                "t?catalog_schemas",
                "t_catalog_schemas"
            )
            .1
            .len()
                == 1
        );
        assert!(find(
            &mut c,
            CatalogKind::SCHEMAS,
            "tXcatalog*",
            "t_catalog_schemas"
        )
        .1
        .is_empty());
        assert!(find(&mut c, CatalogKind::TABLES, "", "pg_class")
            .1
            .is_empty());
        assert_eq!(
            find(&mut c, CatalogKind::TABLES, "pg_cla*", "pg_class")
                .1
                .len(),
            1
        );
        assert!(find(&mut c, CatalogKind::ROLES, "", "pg_monitor")
            .1
            .is_empty());
        assert_eq!(
            find(&mut c, CatalogKind::ROLES, "pg_*", "pg_monitor")
                .1
                .len(),
            1
        );

        let database = testing::options().database.to_string();
        let (cols, rows) = find(&mut c, CatalogKind::DATABASES, &database, &database);
        assert_eq!(
            cols,
            ["name", "owner", "encoding", "collate", "ctype", "size"]
        );
        assert_eq!(rows.len(), 1);
        assert!(
            matches!(&rows[0][5], Value::Text(s) if s.ends_with('B')),
            "{rows:?}"
        );
        // A quote in a pattern is data, never SQL.
        let (_, rows) = table(&c.catalog(CatalogKind::DATABASES, "x' OR ''='").unwrap());
        assert!(rows.is_empty());
    }

    #[test]
    fn a_kind_from_a_later_contract_is_unsupported_by_name() {
        let mut c = testing::connect();
        let e = c.catalog(CatalogKind(42), "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
        assert!(e.message.contains("objects of kind 42"), "{e}");
        assert!(listing(CatalogKind::FUNCTIONS, 100_000)
            .unwrap()
            .sql
            .contains("proisagg"));
    }
}
