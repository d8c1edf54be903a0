//! The default type rules: what a column type of one engine becomes in another. Portable
//! types mostly stay as they are (the generator spells them per dialect); engine-only raw
//! types are mapped by the table in `docs/conversion.md` or refused.

use super::rules::canonical_type_name;
use crate::dialect::Dialect;
use crate::types::ColumnType;
use std::collections::BTreeMap;

/// A CHECK a mapping adds to keep what the source type enforced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AddedCheck {
    /// `col >= 0` (unsigned integers and decimals).
    NonNegative,
    /// `json_valid(col)` (JSON stored as text in SQLite).
    JsonValid,
    /// `col IN ('a', 'b')` (enums as text).
    OneOf(Vec<String>),
}

impl AddedCheck {
    /// The expression for column `col` in `to`, and a suffix for the constraint's name.
    pub fn sql(&self, col: &str, to: Dialect) -> (String, &'static str) {
        let c = to.quote(col);
        match self {
            AddedCheck::NonNegative => (format!("{c} >= 0"), "unsigned"),
            AddedCheck::JsonValid => (format!("json_valid({c})"), "json"),
            AddedCheck::OneOf(labels) => {
                let list: Vec<String> = labels.iter().map(|l| to.literal(l)).collect();
                (format!("{c} IN ({})", list.join(", ")), "enum")
            }
        }
    }
}

/// What a type becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeMap {
    /// Unchanged.
    Keep,
    /// Another type, maybe with a CHECK that keeps the source's constraint.
    To {
        ty: ColumnType,
        check: Option<AddedCheck>,
        detail: String,
        loss: bool,
    },
    /// No rule: the user has to choose one.
    Refuse(String),
}

fn mapped(ty: ColumnType, check: Option<AddedCheck>, detail: &str, loss: bool) -> TypeMap {
    TypeMap::To {
        ty,
        check,
        detail: detail.to_string(),
        loss,
    }
}

/// A raw type for `d` alone.
pub(crate) fn raw(d: Dialect, text: &str) -> ColumnType {
    ColumnType::Raw(BTreeMap::from([(d.name().to_string(), text.to_string())]))
}

/// The source's spelling of a type: the raw text for `from` (MariaDB falls back to MySQL's),
/// or the portable name.
pub(crate) fn source_name(ty: &ColumnType, from: Dialect) -> String {
    match ty {
        ColumnType::Raw(m) => m
            .get(from.name())
            .or_else(|| (from == Dialect::Mariadb).then(|| m.get("mysql")).flatten())
            .or_else(|| (from == Dialect::Mysql).then(|| m.get("mariadb")).flatten())
            .or_else(|| m.values().next())
            .cloned()
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

/// True when a raw type already names the target (`{ postgres = "…", mysql = "…" }`).
pub(crate) fn raw_has_target(ty: &ColumnType, to: Dialect) -> bool {
    match ty {
        ColumnType::Raw(m) => {
            m.contains_key(to.name()) || (to == Dialect::Mariadb && m.contains_key("mysql"))
        }
        _ => false,
    }
}

/// The default rule for a column of type `ty` written in `from`, converted to `to`.
pub(crate) fn map_type(ty: &ColumnType, from: Dialect, to: Dialect) -> TypeMap {
    match ty {
        ColumnType::Raw(_) if raw_has_target(ty, to) => TypeMap::Keep,
        ColumnType::Raw(_) => map_raw(&source_name(ty, from), from, to),
        portable => map_portable(portable, to),
    }
}

fn map_portable(ty: &ColumnType, to: Dialect) -> TypeMap {
    let mysql = to.is_mysql_family();
    match ty {
        ColumnType::TimestampTz if mysql => mapped(
            ColumnType::Timestamp,
            None,
            "timestamptz → DATETIME(6), values stored as UTC",
            false,
        ),
        ColumnType::Json if to == Dialect::Sqlite => mapped(
            ColumnType::Text,
            Some(AddedCheck::JsonValid),
            "json → TEXT with CHECK (json_valid(…))",
            false,
        ),
        ColumnType::Varchar(n) if mysql && *n > 16383 => mapped(
            ColumnType::Text,
            None,
            &format!("varchar({n}) is longer than MySQL's utf8mb4 VARCHAR (16383): LONGTEXT"),
            false,
        ),
        ColumnType::Char(n) if mysql && *n > 255 => mapped(
            ColumnType::Varchar(*n),
            None,
            &format!("char({n}) is longer than MySQL's CHAR (255): VARCHAR({n})"),
            false,
        ),
        ColumnType::Decimal { precision, scale } if mysql && (*precision > 65 || *scale > 30) => {
            let s = (*scale).min(30);
            mapped(
                ColumnType::Decimal {
                    precision: 65,
                    scale: s,
                },
                None,
                &format!(
                    "decimal({precision},{scale}) exceeds MySQL's DECIMAL(65,30): DECIMAL(65,{s})"
                ),
                true,
            )
        }
        _ => TypeMap::Keep,
    }
}

/// Base name, whole-number arguments and the unsigned flag of a raw type text.
fn split(name: &str) -> (String, Vec<u32>, bool) {
    let canon = canonical_type_name(name);
    let unsigned = canon.contains("unsigned") || canon.contains("zerofill");
    let cleaned = canon.replace("unsigned", "").replace("zerofill", "");
    let base = cleaned.split('(').next().unwrap_or("").trim().to_string();
    let args = cleaned
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(inner, _)| {
            inner
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    (base, args, unsigned)
}

fn map_raw(name: &str, from: Dialect, to: Dialect) -> TypeMap {
    use ColumnType as T;
    let (base, args, unsigned) = split(name);
    let mysql = to.is_mysql_family();
    let pg = to == Dialect::Postgres;
    let json_text = |what: &str, loss: bool| {
        if to == Dialect::Sqlite {
            to_text_json(what, loss)
        } else {
            mapped(T::Json, None, &format!("{what} → JSON"), loss)
        }
    };
    let text = |what: &str, loss: bool| mapped(T::Text, None, what, loss);
    let nonneg =
        |ty: T, what: &str, loss: bool| mapped(ty, Some(AddedCheck::NonNegative), what, loss);
    // MySQL and MariaDB spell the same types: carry a raw type across the family.
    if from.is_mysql_family() && mysql {
        return match base.as_str() {
            "uuid" if to == Dialect::Mysql => {
                mapped(T::Char(36), None, "MariaDB uuid → CHAR(36)", false)
            }
            "inet6" | "inet4" if to == Dialect::Mysql => text(
                "MariaDB inet type → text (addresses no longer checked)",
                true,
            ),
            _ => mapped(raw(to, name), None, &format!("{name} kept as is"), false),
        };
    }
    if base.ends_with("[]") {
        if pg {
            return mapped(raw(to, name), None, "array kept", false);
        }
        return json_text(&format!("array {name}"), true);
    }
    match base.as_str() {
        "json" => json_text("json", false),
        "hstore" => json_text("hstore (copied as a JSON object of strings)", false),
        "tsvector" | "tsquery" => text(
            &format!("{base} → text (its text form is kept; full-text search on it is not)"),
            true,
        ),
        "interval" => text("interval → text (PostgreSQL's interval text; no interval arithmetic)", true),
        "inet" | "cidr" => mapped(T::Varchar(43), None, &format!("{base} → varchar(43) (addresses no longer checked)"), true),
        "macaddr" => mapped(T::Varchar(17), None, "macaddr → varchar(17) (no longer checked)", true),
        "macaddr8" => mapped(T::Varchar(23), None, "macaddr8 → varchar(23) (no longer checked)", true),
        "money" => mapped(T::Decimal { precision: 19, scale: 2 }, None, "money → decimal(19,2)", false),
        "citext" if mysql => text("citext → LONGTEXT (MySQL's default collation compares case-insensitively)", false),
        "citext" => text("citext → text (comparisons become case-sensitive)", true),
        "xml" => text("xml → text (no longer checked as XML)", true),
        "bit" | "varbit" if mysql && base == "bit" => mapped(raw(to, &format!("BIT({})", args.first().copied().unwrap_or(1))), None, "bit(n) → BIT(n)", false),
        "bit" if args.first().copied().unwrap_or(1) <= 63 && from.is_mysql_family() => mapped(T::BigInt, None, "bit(n) → bigint (the bits as an integer)", false),
        "bit" | "varbit" => text(&format!("{name} → text of 0s and 1s"), true),
        "numeric" | "decimal" if args.is_empty() => match to {
            Dialect::Postgres => mapped(raw(to, "NUMERIC"), None, "numeric without precision kept", false),
            Dialect::Sqlite => mapped(raw(to, "NUMERIC"), None, "numeric without precision → NUMERIC", false),
            _ => mapped(T::Decimal { precision: 65, scale: 30 }, None, "numeric without precision → DECIMAL(65,30) (values beyond 35 integer or 30 fraction digits do not fit)", true),
        },
        "numeric" | "decimal" if args.len() == 2 && args[0] >= 1 => {
            let ty = T::Decimal { precision: args[0].min(if mysql { 65 } else { 1000 }), scale: args[1].min(if mysql { 30 } else { 1000 }) };
            if unsigned { nonneg(ty, &format!("{name} → decimal with CHECK (… >= 0)"), false) } else { mapped(ty, None, &format!("{name} → decimal"), false) }
        }
        "varchar" | "nvarchar" | "text" | "tinytext" | "mediumtext" | "longtext" | "clob" | "string" if args.is_empty() || base.ends_with("text") => {
            text(&format!("{name} → text"), false)
        }
        "varchar" | "nvarchar" | "varying character" if args.len() == 1 && args[0] >= 1 => mapped(T::Varchar(args[0]), None, &format!("{name} → varchar({})", args[0]), false),
        "char" | "bpchar" | "nchar" | "native character" => {
            let n = args.first().copied().unwrap_or(1).max(1);
            mapped(T::Char(n), None, &format!("{name} → char({n})"), false)
        }
        "name" => mapped(T::Varchar(64), None, "name → varchar(64)", false),
        "timestamp" | "datetime" if from.is_mysql_family() && base == "timestamp" => mapped(T::TimestampTz, None, &format!("MySQL {name} (stored as UTC) → timestamptz"), false),
        "timestamp" | "datetime" => mapped(T::Timestamp, None, &format!("{name} → timestamp"), false),
        "timestamptz" => map_or_keep(T::TimestampTz, to, name),
        "time" => mapped(T::Time, None, &format!("{name} → time"), false),
        "timetz" => mapped(T::Time, None, "time with time zone → time (the offset is dropped)", true),
        "date" => mapped(T::Date, None, "date", false),
        "tinyint" if args.first() == Some(&1) && !unsigned => mapped(T::Bool, None, "tinyint(1) → bool", false),
        "tinyint" if unsigned => nonneg(T::SmallInt, "tinyint unsigned → smallint with CHECK (… >= 0)", false),
        "tinyint" => mapped(T::SmallInt, None, "tinyint → smallint", false),
        "smallint" if unsigned => nonneg(T::Int, "smallint unsigned → int with CHECK (… >= 0)", false),
        "mediumint" if unsigned => nonneg(T::Int, "mediumint unsigned → int with CHECK (… >= 0)", false),
        "mediumint" => mapped(T::Int, None, "mediumint → int", false),
        "int" | "integer" if unsigned => nonneg(T::BigInt, "int unsigned → bigint with CHECK (… >= 0)", false),
        "bigint" if unsigned => nonneg(T::BigInt, "bigint unsigned → bigint with CHECK (… >= 0) (values above 9223372036854775807 do not fit)", true),
        "smallint" => mapped(T::SmallInt, None, "smallint", false),
        "int" | "integer" => mapped(if from == Dialect::Sqlite { T::BigInt } else { T::Int }, None, &format!("{name} → integer"), false),
        "bigint" => mapped(T::BigInt, None, "bigint", false),
        "float" | "real" if unsigned => nonneg(T::Real, &format!("{name} → real with CHECK (… >= 0)"), false),
        "double" if unsigned => nonneg(T::Double, &format!("{name} → double with CHECK (… >= 0)"), false),
        "float" | "real" => mapped(if args.first().is_some_and(|p| *p > 24) { T::Double } else { T::Real }, None, &format!("{name} → float"), false),
        "double" => mapped(T::Double, None, &format!("{name} → double"), false),
        "year" => mapped(T::SmallInt, None, "year → smallint", false),
        "blob" | "tinyblob" | "mediumblob" | "longblob" | "binary" | "varbinary" | "bytea" => mapped(T::Blob, None, &format!("{name} → blob"), false),
        "bool" => mapped(T::Bool, None, "bool", false),
        "uuid" => mapped(T::Uuid, None, "uuid", false),
        "set" => text("set(…) → text (the comma-separated members are no longer checked)", true),
        "point" | "line" | "lseg" | "box" | "path" | "polygon" | "circle" | "geometry" | "geography"
        | "linestring" | "multipoint" | "multilinestring" | "multipolygon" | "geometrycollection" => {
            text(&format!("{name} → text (the value as text; no spatial type or index)"), true)
        }
        "oid" | "regclass" | "regtype" | "regproc" | "xid" | "cid" | "tid" | "pg_lsn" | "txid_snapshot" | "pg_snapshot" => {
            TypeMap::Refuse(format!("{name} is a PostgreSQL system type with no counterpart"))
        }
        _ if from == Dialect::Sqlite => sqlite_affinity(name, to),
        _ => TypeMap::Refuse(format!(
            "type {name} has no default rule; choose one with --cast 'type {base} to TYPE' or 'type {base} drop'"
        )),
    }
}

fn map_or_keep(ty: ColumnType, to: Dialect, name: &str) -> TypeMap {
    match map_portable(&ty, to) {
        TypeMap::Keep => mapped(ty, None, &format!("{name} → timestamptz"), false),
        other => other,
    }
}

fn to_text_json(what: &str, loss: bool) -> TypeMap {
    mapped(
        ColumnType::Text,
        Some(AddedCheck::JsonValid),
        &format!("{what} → TEXT holding JSON, with CHECK (json_valid(…))"),
        loss,
    )
}

/// SQLite's type affinity rules, for declared types no table above names.
fn sqlite_affinity(name: &str, to: Dialect) -> TypeMap {
    let u = name.to_ascii_uppercase();
    if u.trim().is_empty() {
        return to_plain(
            ColumnType::Text,
            "a column without a declared type → text",
            true,
        );
    }
    if u.contains("INT") {
        return to_plain(
            ColumnType::BigInt,
            &format!("{name} (integer affinity) → bigint"),
            false,
        );
    }
    if u.contains("CHAR") || u.contains("CLOB") || u.contains("TEXT") {
        return to_plain(
            ColumnType::Text,
            &format!("{name} (text affinity) → text"),
            false,
        );
    }
    if u.contains("BLOB") {
        return to_plain(ColumnType::Blob, &format!("{name} → blob"), false);
    }
    if u.contains("REAL") || u.contains("FLOA") || u.contains("DOUB") {
        return to_plain(
            ColumnType::Double,
            &format!("{name} (real affinity) → double"),
            false,
        );
    }
    match to {
        Dialect::Postgres => to_plain(
            raw(to, "NUMERIC"),
            &format!("{name} (numeric affinity) → numeric"),
            false,
        ),
        _ => to_plain(
            ColumnType::Decimal {
                precision: 65,
                scale: 30,
            },
            &format!("{name} (numeric affinity) → DECIMAL(65,30)"),
            true,
        ),
    }
}

fn to_plain(ty: ColumnType, detail: &str, loss: bool) -> TypeMap {
    mapped(ty, None, detail, loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{Mariadb, Mysql, Postgres as Pg, Sqlite};

    fn pg(t: &str) -> ColumnType {
        raw(Pg, t)
    }

    fn target(m: TypeMap) -> (ColumnType, Option<AddedCheck>, bool) {
        match m {
            TypeMap::To {
                ty, check, loss, ..
            } => (ty, check, loss),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_only_types_into_mysql_and_sqlite() {
        assert_eq!(
            target(map_type(&pg("text[]"), Pg, Mysql)),
            (ColumnType::Json, None, true)
        );
        assert_eq!(
            target(map_type(&pg("integer[]"), Pg, Sqlite)),
            (ColumnType::Text, Some(AddedCheck::JsonValid), true)
        );
        assert_eq!(
            target(map_type(&pg("tsvector"), Pg, Mariadb)).0,
            ColumnType::Text
        );
        assert!(target(map_type(&pg("interval"), Pg, Sqlite)).2);
        assert_eq!(
            target(map_type(&pg("money"), Pg, Mysql)),
            (
                ColumnType::Decimal {
                    precision: 19,
                    scale: 2
                },
                None,
                false
            )
        );
        assert_eq!(
            target(map_type(&pg("inet"), Pg, Mysql)).0,
            ColumnType::Varchar(43)
        );
        assert_eq!(
            target(map_type(&pg("hstore"), Pg, Mysql)).0,
            ColumnType::Json
        );
        assert_eq!(
            target(map_type(&pg("character varying"), Pg, Mysql)).0,
            ColumnType::Text
        );
        assert_eq!(
            target(map_type(&pg("timestamp(0) without time zone"), Pg, Mysql)).0,
            ColumnType::Timestamp
        );
        assert_eq!(
            target(map_type(&pg("numeric"), Pg, Mysql)),
            (
                ColumnType::Decimal {
                    precision: 65,
                    scale: 30
                },
                None,
                true
            )
        );
        assert!(matches!(
            map_type(&pg("regclass"), Pg, Mysql),
            TypeMap::Refuse(_)
        ));
        let TypeMap::Refuse(why) = map_type(&pg("my_composite"), Pg, Mysql) else {
            panic!()
        };
        assert!(why.contains("--cast 'type my_composite to TYPE'"), "{why}");
        assert_eq!(map_type(&pg("text[]"), Pg, Pg), TypeMap::Keep);
    }

    #[test]
    fn portable_types_the_target_spells_differently() {
        assert_eq!(
            target(map_type(&ColumnType::TimestampTz, Pg, Mysql)).0,
            ColumnType::Timestamp
        );
        assert_eq!(
            map_type(&ColumnType::TimestampTz, Pg, Sqlite),
            TypeMap::Keep
        );
        assert_eq!(
            target(map_type(&ColumnType::Json, Mysql, Sqlite)),
            (ColumnType::Text, Some(AddedCheck::JsonValid), false)
        );
        assert_eq!(map_type(&ColumnType::Int, Pg, Mysql), TypeMap::Keep);
    }

    #[test]
    fn mysql_types_into_postgres_and_sqlite() {
        let my = |t: &str| raw(Mysql, t);
        assert_eq!(
            target(map_type(&my("int(10) unsigned"), Mysql, Pg)),
            (ColumnType::BigInt, Some(AddedCheck::NonNegative), false)
        );
        assert!(target(map_type(&my("bigint(20) unsigned"), Mysql, Pg)).2);
        assert_eq!(
            target(map_type(&my("mediumint(8)"), Mysql, Sqlite)).0,
            ColumnType::Int
        );
        assert_eq!(
            target(map_type(&my("tinyint(1)"), Mysql, Pg)).0,
            ColumnType::Bool
        );
        assert_eq!(
            target(map_type(&my("tinyint(3) unsigned"), Mysql, Pg)).0,
            ColumnType::SmallInt
        );
        assert_eq!(
            target(map_type(&my("year(4)"), Mysql, Pg)).0,
            ColumnType::SmallInt
        );
        assert_eq!(
            target(map_type(&my("datetime"), Mysql, Pg)).0,
            ColumnType::Timestamp
        );
        assert_eq!(
            target(map_type(&my("timestamp"), Mysql, Pg)).0,
            ColumnType::TimestampTz
        );
        assert_eq!(
            target(map_type(&my("mediumtext"), Mysql, Sqlite)).0,
            ColumnType::Text
        );
        assert_eq!(
            target(map_type(&my("varbinary(16)"), Mysql, Pg)).0,
            ColumnType::Blob
        );
        assert!(target(map_type(&my("set('a','b')"), Mysql, Pg)).2);
        assert!(target(map_type(&my("geometry"), Mysql, Pg)).2);
        assert_eq!(map_type(&my("set('a','b')"), Mysql, Mariadb), TypeMap::Keep);
        assert_eq!(
            target(map_type(&raw(Mariadb, "uuid"), Mariadb, Mysql)).0,
            ColumnType::Char(36)
        );
    }

    #[test]
    fn sqlite_declared_types_by_affinity() {
        let lite = |t: &str| raw(Sqlite, t);
        assert_eq!(
            target(map_type(&lite("NVARCHAR"), Sqlite, Pg)).0,
            ColumnType::Text
        );
        assert_eq!(
            target(map_type(&lite("UNSIGNED BIG INT"), Sqlite, Pg)).0,
            ColumnType::BigInt
        );
        assert_eq!(
            target(map_type(&lite("VARYING CHARACTER(20)"), Sqlite, Mysql)).0,
            ColumnType::Varchar(20)
        );
        assert_eq!(
            target(map_type(&lite("FLOAT"), Sqlite, Mysql)).0,
            ColumnType::Real
        );
        assert_eq!(
            target(map_type(&lite("MONEYISH"), Sqlite, Pg)).0,
            raw(Pg, "NUMERIC")
        );
        assert!(target(map_type(&lite(""), Sqlite, Pg)).2);
    }
}
