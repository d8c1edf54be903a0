//! [`Dialect`]: what differs between SQLite, PostgreSQL, MySQL and MariaDB — quoting, reserved
//! words, identifier limits and the spelling of each portable type.

use crate::definition::{Column, DefaultValue};
use crate::error::SchemaError;
use crate::types::ColumnType;
use std::fmt;
use std::str::FromStr;

/// An SQL dialect DDL is generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite 3.35+.
    Sqlite,
    /// PostgreSQL 12+.
    Postgres,
    /// MySQL 8.0.16+.
    Mysql,
    /// MariaDB 10.7+ (MySQL plus a native UUID type and json as checked LONGTEXT).
    Mariadb,
}

impl FromStr for Dialect {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Dialect::Sqlite,
            "postgres" | "postgresql" | "pg" => Dialect::Postgres,
            "mysql" => Dialect::Mysql,
            "mariadb" => Dialect::Mariadb,
            _ => return Err(SchemaError::UnknownDialect(s.to_string())),
        })
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Words reserved in at least one of the dialects (SQL:2016 core plus MySQL's and PostgreSQL's
/// own); an identifier equal to one of them is always quoted and flagged by the linter.
pub const RESERVED: &[&str] = &[
    "accessible",
    "add",
    "all",
    "alter",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "before",
    "between",
    "bigint",
    "binary",
    "blob",
    "both",
    "by",
    "call",
    "cascade",
    "case",
    "cast",
    "change",
    "char",
    "character",
    "check",
    "collate",
    "column",
    "condition",
    "constraint",
    "continue",
    "convert",
    "create",
    "cross",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "cursor",
    "database",
    "databases",
    "dec",
    "decimal",
    "declare",
    "default",
    "deferrable",
    "delayed",
    "delete",
    "desc",
    "describe",
    "distinct",
    "div",
    "do",
    "double",
    "drop",
    "dual",
    "each",
    "else",
    "elseif",
    "enclosed",
    "end",
    "escaped",
    "except",
    "exists",
    "exit",
    "explain",
    "false",
    "fetch",
    "float",
    "for",
    "force",
    "foreign",
    "freeze",
    "from",
    "full",
    "fulltext",
    "function",
    "generated",
    "get",
    "grant",
    "group",
    "groups",
    "having",
    "high_priority",
    "if",
    "ignore",
    "ilike",
    "in",
    "index",
    "infile",
    "initially",
    "inner",
    "inout",
    "insert",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "keys",
    "kill",
    "lateral",
    "leading",
    "leave",
    "left",
    "like",
    "limit",
    "lines",
    "load",
    "localtime",
    "localtimestamp",
    "lock",
    "long",
    "loop",
    "match",
    "natural",
    "not",
    "notnull",
    "null",
    "numeric",
    "of",
    "offset",
    "on",
    "only",
    "optimize",
    "option",
    "or",
    "order",
    "out",
    "outer",
    "over",
    "partition",
    "placing",
    "precision",
    "primary",
    "procedure",
    "range",
    "read",
    "real",
    "recursive",
    "references",
    "regexp",
    "release",
    "rename",
    "repeat",
    "replace",
    "require",
    "restrict",
    "return",
    "returning",
    "revoke",
    "right",
    "rlike",
    "row",
    "rows",
    "schema",
    "select",
    "session_user",
    "set",
    "show",
    "similar",
    "smallint",
    "some",
    "spatial",
    "sql",
    "ssl",
    "starting",
    "symmetric",
    "system_user",
    "table",
    "then",
    "to",
    "trailing",
    "trigger",
    "true",
    "union",
    "unique",
    "unlock",
    "unsigned",
    "update",
    "usage",
    "use",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "while",
    "window",
    "with",
    "write",
    "xor",
    "year_month",
    "zerofill",
];

/// True when `word` is reserved in some dialect.
pub fn is_reserved(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    RESERVED.binary_search(&w.as_str()).is_ok()
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 4] = [
        Dialect::Sqlite,
        Dialect::Postgres,
        Dialect::Mysql,
        Dialect::Mariadb,
    ];

    /// The dialect's name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Mariadb => "mariadb",
        }
    }

    /// MySQL or MariaDB.
    pub fn is_mysql_family(self) -> bool {
        matches!(self, Dialect::Mysql | Dialect::Mariadb)
    }

    /// The same engine, or engines of one family (MySQL and MariaDB), whose definitions and
    /// data move between them without a conversion.
    pub fn same_family(self, other: Dialect) -> bool {
        self == other || (self.is_mysql_family() && other.is_mysql_family())
    }

    /// The longest identifier the engine accepts, in bytes (`None`: no limit).
    pub fn max_identifier(self) -> Option<usize> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(63),
            Dialect::Mysql | Dialect::Mariadb => Some(64),
        }
    }

    /// Quotes `ident` when it needs it (reserved word, mixed case, anything beyond
    /// `[a-z_][a-z0-9_]*`), doubling embedded quote characters.
    pub fn quote(self, ident: &str) -> String {
        let plain = ident
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && ident
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !is_reserved(ident);
        if plain {
            return ident.to_string();
        }
        let q = if self.is_mysql_family() { '`' } else { '"' };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// Quotes a string literal.
    pub fn literal(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self.is_mysql_family() => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// The dialect's spelling of a column type, for column `table.column`.
    pub fn type_sql(
        self,
        ty: &ColumnType,
        table: &str,
        column: &str,
    ) -> Result<String, SchemaError> {
        use ColumnType::*;
        let s = match (self, ty) {
            (_, Raw(m)) => {
                let found = m
                    .get(self.name())
                    .or_else(|| {
                        if self == Dialect::Mariadb {
                            m.get("mysql")
                        } else {
                            None
                        }
                    })
                    .ok_or_else(|| SchemaError::Unsupported {
                        dialect: self,
                        table: table.to_string(),
                        what: format!(
                            "column `{column}` has a raw type with no `{}` entry",
                            self.name()
                        ),
                    })?;
                return Ok(found.clone());
            }
            (_, SmallInt) => "SMALLINT".into(),
            (Dialect::Sqlite | Dialect::Postgres, Int) => "INTEGER".into(),
            (_, Int) => "INT".into(),
            (_, BigInt) => "BIGINT".into(),
            (Dialect::Postgres, Decimal { precision, scale }) => {
                format!("NUMERIC({precision},{scale})")
            }
            (_, Decimal { precision, scale }) => {
                if self.is_mysql_family() && (*precision > 65 || *scale > 30) {
                    return Err(SchemaError::Unsupported {
                        dialect: self,
                        table: table.to_string(),
                        what: format!(
                            "column `{column}`: decimal({precision},{scale}) exceeds MySQL's DECIMAL(65,30)"
                        ),
                    });
                }
                format!("DECIMAL({precision},{scale})")
            }
            (Dialect::Sqlite | Dialect::Postgres, Real) => "REAL".into(),
            (_, Real) => "FLOAT".into(),
            (Dialect::Postgres, Double) => "DOUBLE PRECISION".into(),
            (_, Double) => "DOUBLE".into(),
            (Dialect::Sqlite | Dialect::Postgres, Bool) => "BOOLEAN".into(),
            (_, Bool) => "TINYINT(1)".into(),
            (_, Char(n)) => format!("CHAR({n})"),
            (_, Varchar(n)) => format!("VARCHAR({n})"),
            (Dialect::Sqlite | Dialect::Postgres, Text) => "TEXT".into(),
            (_, Text) => "LONGTEXT".into(),
            (Dialect::Sqlite, Blob) => "BLOB".into(),
            (Dialect::Postgres, Blob) => "BYTEA".into(),
            (_, Blob) => "LONGBLOB".into(),
            (_, Date) => "DATE".into(),
            (Dialect::Sqlite | Dialect::Postgres, Time) => "TIME".into(),
            (_, Time) => "TIME(6)".into(),
            (Dialect::Sqlite | Dialect::Postgres, Timestamp) => "TIMESTAMP".into(),
            (_, Timestamp) => "DATETIME(6)".into(),
            (Dialect::Sqlite | Dialect::Postgres, TimestampTz) => "TIMESTAMPTZ".into(),
            (_, TimestampTz) => "TIMESTAMP(6)".into(),
            (Dialect::Postgres, Json) => "JSONB".into(),
            (_, Json) => "JSON".into(),
            (Dialect::Sqlite | Dialect::Postgres | Dialect::Mariadb, Uuid) => "UUID".into(),
            (Dialect::Mysql, Uuid) => "CHAR(36)".into(),
        };
        Ok(s)
    }

    /// The SQL text of a column default.
    pub fn default_sql(self, col: &Column, d: &DefaultValue) -> String {
        match d {
            DefaultValue::Expr { expr } => {
                let e = expr.trim();
                let upper = e.to_ascii_uppercase();
                let timestamp = matches!(
                    upper.as_str(),
                    "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" | "NOW()"
                );
                match self {
                    Dialect::Mysql | Dialect::Mariadb if timestamp => {
                        if matches!(col.ty, ColumnType::Timestamp | ColumnType::TimestampTz) {
                            "CURRENT_TIMESTAMP(6)".into()
                        } else {
                            "CURRENT_TIMESTAMP".into()
                        }
                    }
                    Dialect::Mysql | Dialect::Mariadb if !is_simple_default(e) => {
                        format!("({e})")
                    }
                    Dialect::Sqlite if !is_simple_default(e) => format!("({e})"),
                    _ => e.to_string(),
                }
            }
            DefaultValue::Bool(b) => match self {
                Dialect::Postgres => if *b { "TRUE" } else { "FALSE" }.into(),
                _ => if *b { "1" } else { "0" }.into(),
            },
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => {
                let s = f.to_string();
                if s.contains(['.', 'e', 'E']) {
                    s
                } else {
                    format!("{s}.0")
                }
            }
            DefaultValue::Text(s) => self.literal(s),
        }
    }
}

/// Expressions every engine accepts as a bare default without parentheses.
fn is_simple_default(e: &str) -> bool {
    matches!(
        e.to_ascii_uppercase().as_str(),
        "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME" | "NULL"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_list_is_sorted_for_binary_search() {
        let mut sorted = RESERVED.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, RESERVED);
        assert!(is_reserved("ORDER"));
        assert!(!is_reserved("customer"));
    }

    #[test]
    fn quoting() {
        assert_eq!(Dialect::Postgres.quote("users"), "users");
        assert_eq!(Dialect::Postgres.quote("order"), "\"order\"");
        assert_eq!(Dialect::Postgres.quote("UserName"), "\"UserName\"");
        assert_eq!(Dialect::Mysql.quote("a`b"), "`a``b`");
        assert_eq!(Dialect::Sqlite.quote("has space"), "\"has space\"");
        assert_eq!(Dialect::Mysql.literal("it's \\"), "'it''s \\\\'");
    }
}
