//! [`CastRules`]: the user's choices that override the default conversion rules, written
//! pgloader-style (`type tsvector to text`, `column film.fulltext drop`) on the command line
//! or in a TOML rules file.

use crate::error::SchemaError;
use crate::types::ColumnType;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What a cast rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CastTarget {
    /// Every column of a source type (`type tsvector`), matched on the type's name as the
    /// source spells it, with or without its arguments (`numeric` matches `numeric(5,2)`),
    /// or on a domain or enum name.
    Type(String),
    /// One column (`column film.fulltext`).
    Column {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// A CHECK constraint by name (`check film_rating_check`).
    Check(String),
    /// A column's default (`default film.last_update`).
    Default {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
}

/// What a cast rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CastAction {
    /// Give the column this type (a portable type, or the target's own spelling).
    To(CastType),
    /// Leave the column, constraint or default out (a loss line in the report).
    Drop,
}

/// The type a rule casts to: a portable type, or a type name written for the target as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CastType {
    /// One of the portable types (`text`, `varchar(255)`, `decimal(19,2)`).
    Portable(ColumnType),
    /// A type name passed to the target unchanged (`MEDIUMTEXT`).
    Raw(String),
}

/// One rule, with the text it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CastRule {
    /// What it applies to.
    pub target: CastTarget,
    /// What it does.
    pub action: CastAction,
    /// The rule as written.
    pub text: String,
}

/// The user's conversion choices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CastRules {
    /// Cast and drop rules; the first that matches wins, a column rule before a type rule.
    pub casts: Vec<CastRule>,
    /// Turn any loss into an error listing all of them.
    pub strict: bool,
    /// Drop CHECK constraints whose expression cannot be translated (one loss line each)
    /// instead of refusing the conversion.
    pub drop_unconvertible_checks: bool,
    /// Drop defaults whose expression cannot be translated instead of refusing.
    pub drop_unconvertible_defaults: bool,
    /// Into PostgreSQL: write MySQL `enum(…)` columns as text with a CHECK instead of a
    /// `CREATE TYPE … AS ENUM` named `<table>_<column>`.
    pub enum_as_check: bool,
}

/// The rules file: `strict`, `drop_unconvertible_checks`, `drop_unconvertible_defaults`,
/// `enum_as_check` and `cast = ["type tsvector to text", …]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    drop_unconvertible_checks: bool,
    #[serde(default)]
    drop_unconvertible_defaults: bool,
    #[serde(default)]
    enum_as_check: bool,
    #[serde(default)]
    cast: Vec<String>,
}

impl CastRules {
    /// Parses rules written as on the command line: `type T to U`, `type T drop`,
    /// `column TABLE.COLUMN to U`, `column TABLE.COLUMN drop`, `check NAME drop`,
    /// `default TABLE.COLUMN drop`, and the switches `drop unconvertible checks`,
    /// `drop unconvertible defaults`, `enum as check`, `strict`.
    ///
    /// ```
    /// use myrmex_schema::convert::CastRules;
    /// let r = CastRules::parse(&["type tsvector to text".into(), "check film_x drop".into()])?;
    /// assert_eq!(r.casts.len(), 2);
    /// assert!(CastRules::parse(&["type tsvector into text".into()]).is_err());
    /// # Ok::<(), myrmex_schema::SchemaError>(())
    /// ```
    pub fn parse(rules: &[String]) -> Result<CastRules, SchemaError> {
        let mut out = CastRules::default();
        for r in rules {
            out.add(r, "--cast")?;
        }
        Ok(out)
    }

    /// Parses a TOML rules file's text (see [`CastRules::parse`] for the rule syntax).
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<CastRules, SchemaError> {
        let f: RulesFile = toml::from_str(text).map_err(|e| SchemaError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        let mut out = CastRules {
            strict: f.strict,
            drop_unconvertible_checks: f.drop_unconvertible_checks,
            drop_unconvertible_defaults: f.drop_unconvertible_defaults,
            enum_as_check: f.enum_as_check,
            ..CastRules::default()
        };
        for r in &f.cast {
            out.add(r, source_name)?;
        }
        Ok(out)
    }

    /// Reads a TOML rules file.
    pub fn load(path: &Path) -> Result<CastRules, SchemaError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SchemaError::Parse {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, &name)
    }

    /// Adds the rules and switches of `other` to these.
    pub fn merge(&mut self, other: CastRules) {
        self.casts.extend(other.casts);
        self.strict |= other.strict;
        self.drop_unconvertible_checks |= other.drop_unconvertible_checks;
        self.drop_unconvertible_defaults |= other.drop_unconvertible_defaults;
        self.enum_as_check |= other.enum_as_check;
    }

    /// Parses one rule into these rules.
    pub fn add(&mut self, rule: &str, source_name: &str) -> Result<(), SchemaError> {
        let text = rule.split_whitespace().collect::<Vec<_>>().join(" ");
        let lower = text.to_ascii_lowercase();
        let bad = |message: &str| SchemaError::CastRule {
            source_name: source_name.to_string(),
            rule: rule.to_string(),
            message: message.to_string(),
        };
        match lower.as_str() {
            "strict" => self.strict = true,
            "drop unconvertible checks" => self.drop_unconvertible_checks = true,
            "drop unconvertible defaults" => self.drop_unconvertible_defaults = true,
            "enum as check" => self.enum_as_check = true,
            "enum as type" => self.enum_as_check = false,
            _ => {
                let (word, rest) = text
                    .split_once(' ')
                    .ok_or_else(|| bad("expected `type|column|check|default … to TYPE|drop`"))?;
                let (subject, action) = split_action(rest)
                    .ok_or_else(|| bad("expected `… to TYPE` or `… drop` at the end"))?;
                let dotted = |s: &str| -> Result<(String, String), SchemaError> {
                    s.rsplit_once('.')
                        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
                        .map(|(t, c)| (t.to_string(), c.to_string()))
                        .ok_or_else(|| bad("name the column as TABLE.COLUMN"))
                };
                let target = match word.to_ascii_lowercase().as_str() {
                    "type" => CastTarget::Type(canonical_type_name(subject)),
                    "column" => {
                        let (table, column) = dotted(subject)?;
                        CastTarget::Column { table, column }
                    }
                    "check" => CastTarget::Check(subject.to_string()),
                    "default" => {
                        let (table, column) = dotted(subject)?;
                        CastTarget::Default { table, column }
                    }
                    _ => return Err(bad("a rule starts with type, column, check or default")),
                };
                let action = match action {
                    None => CastAction::Drop,
                    Some(ty) => {
                        if matches!(target, CastTarget::Check(_) | CastTarget::Default { .. }) {
                            return Err(bad("checks and defaults can only be dropped"));
                        }
                        CastAction::To(match ColumnType::parse(ty) {
                            Ok(t) => CastType::Portable(t),
                            Err(_) => CastType::Raw(ty.to_string()),
                        })
                    }
                };
                self.casts.push(CastRule {
                    target,
                    action,
                    text,
                });
            }
        }
        Ok(())
    }

    /// The rule for column `table.column` whose source type is `type_name` (a column rule
    /// first, then a type rule), if any.
    pub fn for_column(
        &self,
        table: &str,
        column: &str,
        type_names: &[String],
    ) -> Option<&CastRule> {
        self.casts
            .iter()
            .find(|r| {
                matches!(&r.target, CastTarget::Column { table: t, column: c }
                    if t.eq_ignore_ascii_case(table) && c.eq_ignore_ascii_case(column))
            })
            .or_else(|| {
                self.casts.iter().find(|r| match &r.target {
                    CastTarget::Type(t) => type_names.iter().any(|n| type_matches(t, n)),
                    _ => false,
                })
            })
    }

    /// True when a rule drops check `name`.
    pub fn drops_check(&self, name: &str) -> bool {
        self.casts
            .iter()
            .any(|r| matches!(&r.target, CastTarget::Check(n) if n.eq_ignore_ascii_case(name)))
    }

    /// True when a rule drops the default of `table.column`.
    pub fn drops_default(&self, table: &str, column: &str) -> bool {
        self.casts.iter().any(|r| {
            matches!(&r.target, CastTarget::Default { table: t, column: c }
                if t.eq_ignore_ascii_case(table) && c.eq_ignore_ascii_case(column))
        })
    }
}

/// `X to Y` → (X, Some(Y)); `X drop` → (X, None).
fn split_action(rest: &str) -> Option<(&str, Option<&str>)> {
    let lower = rest.to_ascii_lowercase();
    if let Some(i) = lower.rfind(" to ") {
        let (s, t) = (rest[..i].trim(), rest[i + 4..].trim());
        return (!s.is_empty() && !t.is_empty()).then_some((s, Some(t)));
    }
    if lower.ends_with(" drop") {
        let s = rest[..rest.len() - 5].trim();
        return (!s.is_empty()).then_some((s, None));
    }
    None
}

/// A type name in one spelling for matching: lower case, single spaces, the long SQL names
/// shortened (`character varying` → `varchar`, `timestamp with time zone` → `timestamptz`).
pub(crate) fn canonical_type_name(s: &str) -> String {
    let s = s
        .trim()
        .trim_matches('"')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let (base, rest) = match s.find(['(', '[']) {
        Some(i) => (s[..i].trim().to_string(), s[i..].to_string()),
        None => (s.clone(), String::new()),
    };
    let short: BTreeMap<&str, &str> = BTreeMap::from([
        ("character varying", "varchar"),
        ("character", "char"),
        ("integer", "int"),
        ("int4", "int"),
        ("int8", "bigint"),
        ("int2", "smallint"),
        ("double precision", "double"),
        ("float8", "double"),
        ("float4", "real"),
        ("boolean", "bool"),
        ("timestamp with time zone", "timestamptz"),
        ("timestamp without time zone", "timestamp"),
        ("time with time zone", "timetz"),
        ("time without time zone", "time"),
        ("bit varying", "varbit"),
    ]);
    let base = short
        .get(base.as_str())
        .map_or(base.clone(), |s| s.to_string());
    // `timestamp(0) without time zone` keeps its words after the arguments.
    let rest = rest
        .replace(") without time zone", ")")
        .replace(") with time zone", ")tz");
    format!("{base}{}", rest.replace(' ', ""))
}

/// A type rule `rule` matches `name` whole, or its base without arguments.
fn type_matches(rule: &str, name: &str) -> bool {
    let name = canonical_type_name(name);
    if rule == name {
        return true;
    }
    let base = name.split('(').next().unwrap_or("");
    !rule.contains('(') && rule == base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Result<CastRules, SchemaError> {
        CastRules::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_pgloader_style_rules() {
        let r = rules(&[
            "type tsvector to text",
            "column film.fulltext to varchar(255)",
            "type money drop",
            "type double precision to MEDIUMTEXT",
            "check film_x_check drop",
            "default film.last_update drop",
            "drop unconvertible checks",
            "enum as check",
            "strict",
        ])
        .unwrap();
        assert!(r.strict && r.drop_unconvertible_checks && r.enum_as_check);
        assert_eq!(r.casts.len(), 6);
        assert_eq!(r.casts[0].target, CastTarget::Type("tsvector".into()));
        assert_eq!(
            r.casts[0].action,
            CastAction::To(CastType::Portable(ColumnType::Text))
        );
        assert_eq!(
            r.casts[1].target,
            CastTarget::Column {
                table: "film".into(),
                column: "fulltext".into()
            }
        );
        assert_eq!(r.casts[2].action, CastAction::Drop);
        assert_eq!(r.casts[3].target, CastTarget::Type("double".into()));
        assert_eq!(
            r.casts[3].action,
            CastAction::To(CastType::Raw("MEDIUMTEXT".into()))
        );
        assert!(r.drops_check("FILM_X_CHECK"));
        assert!(r.drops_default("film", "last_update"));
    }

    #[test]
    fn bad_rules_name_the_rule() {
        for bad in [
            "type tsvector",
            "colum film.x to text",
            "column film to text",
            "check x to text",
            "type  to text",
        ] {
            let e = rules(&[bad]).unwrap_err().to_string();
            assert!(e.contains(bad.trim()) || e.contains("type"), "{e}");
        }
    }

    #[test]
    fn matching_by_column_then_type_with_or_without_arguments() {
        let r = rules(&["type numeric to double", "column t.a to text"]).unwrap();
        let m = r.for_column("t", "a", &["numeric(5,2)".into()]).unwrap();
        assert_eq!(m.text, "column t.a to text");
        let m = r.for_column("t", "b", &["numeric(5,2)".into()]).unwrap();
        assert_eq!(m.text, "type numeric to double");
        assert!(r.for_column("t", "b", &["integer".into()]).is_none());
        let r = rules(&["type character varying to text"]).unwrap();
        assert!(r.for_column("t", "b", &["varchar".into()]).is_some());
        assert_eq!(
            canonical_type_name("timestamp(0) without time zone"),
            "timestamp(0)"
        );
    }

    #[test]
    fn rules_file() {
        let r = CastRules::from_toml_str(
            "strict = true\nenum_as_check = true\ncast = [\"type money drop\"]\n",
            "rules.toml",
        )
        .unwrap();
        assert!(r.strict && r.enum_as_check);
        assert_eq!(r.casts.len(), 1);
        let e = CastRules::from_toml_str("cast = [\"nope\"]\n", "rules.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rules.toml") && e.contains("nope"), "{e}");
        assert!(CastRules::from_toml_str("strcit = true\n", "r.toml").is_err());
    }
}
