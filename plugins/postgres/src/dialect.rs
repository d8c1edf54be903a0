//! The SQL dialect a PostgreSQL connection speaks.

use myrmex_abi::{RString, RVec};
use myrmex_plugin::{DialectInfo, PlaceholderStyle};

/// The DDL and SQL features PostgreSQL has, by the names the host plans migrations and
/// generates DDL with:
///
/// | feature | meaning |
/// |---|---|
/// | `alter_column_type` | `ALTER TABLE … ALTER COLUMN … TYPE` |
/// | `drop_column` | `ALTER TABLE … DROP COLUMN` |
/// | `rename_column` | `ALTER TABLE … RENAME COLUMN` |
/// | `alter_constraints` | constraints added and dropped on an existing table |
/// | `partial_index` | `CREATE INDEX … WHERE` |
/// | `expression_index` | indexes on expressions |
/// | `returning` | `INSERT/UPDATE/DELETE … RETURNING` |
/// | `schemas` | several schemas in one database |
/// | `if_not_exists` | `CREATE … IF NOT EXISTS`, `DROP … IF EXISTS` |
/// | `identity` | `GENERATED … AS IDENTITY` columns |
/// | `comments` | `COMMENT ON` tables and columns |
/// | `check_constraints` | enforced `CHECK` constraints |
/// | `copy_text` | bulk export and load in PostgreSQL COPY text format natively |
/// | `select_only` | `SELECT … FROM ONLY t` reads a table without the rows of its inheritors |
pub const FEATURES: &[&str] = &[
    "alter_column_type",
    "drop_column",
    "rename_column",
    "alter_constraints",
    "partial_index",
    "expression_index",
    "returning",
    "schemas",
    "if_not_exists",
    "identity",
    "comments",
    "check_constraints",
    "copy_text",
    "select_only",
];

/// `postgres`: `"` quotes identifiers, DDL is transactional, parameters are `$1`, `$2`, ….
pub fn info() -> DialectInfo {
    DialectInfo {
        name: "postgres".into(),
        quote: u32::from('"'),
        transactional_ddl: true,
        placeholders: PlaceholderStyle::DOLLAR,
        features: FEATURES
            .iter()
            .map(|f| RString::from(*f))
            .collect::<RVec<_>>(),
        extensions: RVec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes_postgres() {
        let d = super::info();
        assert_eq!(d.name.as_str(), "postgres");
        assert_eq!(d.quote_char(), '"');
        assert!(d.transactional_ddl);
        assert_eq!(d.placeholders, myrmex_plugin::PlaceholderStyle::DOLLAR);
        for f in [
            "alter_column_type",
            "drop_column",
            "partial_index",
            "returning",
            "schemas",
        ] {
            assert!(d.has(f), "{f}");
        }
    }
}
