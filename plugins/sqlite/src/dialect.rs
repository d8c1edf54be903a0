//! The SQL dialect SQLite speaks, as the host plans DDL and binds parameters with it.

use myrmex_plugin::{DialectInfo, PlaceholderStyle};

/// What SQLite supports, by the names the host plans with:
///
/// * `partial_index` — `CREATE INDEX … WHERE predicate`;
/// * `returning` — `INSERT`/`UPDATE`/`DELETE … RETURNING` (SQLite 3.35);
/// * `if_not_exists` — `CREATE TABLE|INDEX|VIEW|TRIGGER IF NOT EXISTS` and
///   `DROP … IF EXISTS`;
/// * `drop_column` — `ALTER TABLE … DROP COLUMN` (SQLite 3.35);
/// * `rename_column` — `ALTER TABLE … RENAME COLUMN … TO …` (SQLite 3.25);
/// * `single_writer` — one writer at a time per database file: bulk loads run on one
///   connection.
///
/// Not listed: `alter_column_type` (SQLite cannot change a column's type or constraints in
/// place; the table is rebuilt) and `schemas` (attached databases are separate files, not
/// schemas a definition can name).
pub const FEATURES: &[&str] = &[
    "partial_index",
    "returning",
    "if_not_exists",
    "drop_column",
    "rename_column",
    "single_writer",
];

/// SQLite's dialect: `"` quotes names, DDL is transactional, parameters are `?`.
pub fn info() -> DialectInfo {
    DialectInfo {
        name: "sqlite".into(),
        quote: u32::from('"'),
        transactional_ddl: true,
        placeholders: PlaceholderStyle::QUESTION,
        features: FEATURES.iter().map(|f| (*f).into()).collect(),
        extensions: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{Connection, Driver, PlaceholderStyle};

    #[test]
    fn describes_sqlite() {
        let mut c = SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap();
        let d = c.dialect().unwrap();
        assert_eq!(d.name.as_str(), "sqlite");
        assert_eq!(d.quote_char(), '"');
        assert!(d.transactional_ddl);
        assert_eq!(d.placeholders, PlaceholderStyle::QUESTION);
        assert!(d.has("partial_index") && d.has("returning") && d.has("drop_column"));
        assert!(!d.has("alter_column_type") && !d.has("schemas"));
        assert_eq!(c.quote("a\"b"), "\"a\"\"b\"");
        // What the features promise works on the bundled SQLite.
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS t (a INT, b INT); \
             CREATE INDEX IF NOT EXISTS t_a ON t (a) WHERE a > 0; \
             ALTER TABLE t RENAME COLUMN b TO c; ALTER TABLE t DROP COLUMN c",
        )
        .unwrap();
        let rows = myrmex_plugin::all_rows(
            &mut c,
            "INSERT INTO t (a) VALUES (7) RETURNING a",
            myrmex_plugin::Params::none(),
        )
        .unwrap();
        assert_eq!(rows, [[myrmex_plugin::Value::Int(7)]]);
    }
}
