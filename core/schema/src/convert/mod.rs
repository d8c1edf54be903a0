//! Schema conversion between dialects: [`convert_schema`] turns a definition written for (or
//! inspected from) one engine into one the other engine accepts, and reports every decision
//! it made — what was mapped, rewritten, flattened, dropped or refused, and why.
//!
//! Nothing is dropped silently: each loss is a [`Decision`] with `loss = true`, and
//! [`CastRules::strict`] turns any loss into an error listing all of them. Objects the
//! conversion cannot translate without a user decision (a type with no rule, a CHECK outside
//! the translated subset) are refused by name unless a rule says what to do. The full rules
//! table is in `docs/conversion.md`.
//!
//! ```
//! use myrmex_schema::convert::{convert_schema, CastRules};
//! use myrmex_schema::{Dialect, SchemaDefinition};
//!
//! let def = SchemaDefinition::from_toml_str(r#"
//!     [[tables]]
//!     name = "orders"
//!     primary_key = ["id"]
//!     columns = [
//!       { name = "id", type = "int", identity = true },
//!       { name = "total", type = "decimal(10,2)" },
//!       { name = "placed", type = "timestamp", default = { expr = "now()" } },
//!       { name = "search", type = { postgres = "tsvector" } },
//!     ]
//!     checks = [{ name = "orders_total_check", expr = "total >= 0::numeric" }]
//! "#, "orders.toml")?;
//! let c = convert_schema(&def, Dialect::Postgres, Dialect::Mariadb, &CastRules::default())?;
//! let t = &c.definition.tables[0];
//! assert_eq!(t.checks[0].expr, "total >= 0");
//! assert!(c.losses().iter().any(|d| d.object == "orders.search"));
//! let ddl = myrmex_schema::generate_schema(&c.definition, Dialect::Mariadb)?;
//! assert!(ddl.contains("CHECK (total >= 0)"));
//! # Ok::<(), myrmex_schema::SchemaError>(())
//! ```

mod columns;
mod expr;
mod indexes;
mod names;
mod objects;
mod partitions;
mod report;
mod rules;
mod tables;
mod types;

pub use report::{Action, Conversion, Decision, ObjectKind};
pub use rules::{CastAction, CastRule, CastRules, CastTarget, CastType};

use crate::definition::{Domain, EnumType, SchemaDefinition};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use report::Report;

/// Converts `def`, written for `from`, into a definition for `to`, following `rules`.
///
/// Same dialect in and out returns the definition unchanged with an empty report. Errors:
/// [`SchemaError::ConversionRefused`] naming every object that needs a decision,
/// [`SchemaError::ConversionLoss`] naming every loss when `rules.strict`, and
/// [`SchemaError::Invalid`] when the result does not validate for `to` (the input was
/// invalid, or a rule produced something the target rejects).
pub fn convert_schema(
    def: &SchemaDefinition,
    from: Dialect,
    to: Dialect,
    rules: &CastRules,
) -> Result<Conversion, SchemaError> {
    if from == to {
        return Ok(Conversion {
            from,
            to,
            definition: def.clone(),
            report: Vec::new(),
        });
    }
    let named = def.with_names();
    let mut user_types: Vec<String> = named.enums.iter().map(|e| e.name.clone()).collect();
    user_types.extend(named.domains.iter().map(|d| d.name.clone()));
    let mut cx = Cx {
        from,
        to,
        rules,
        report: Report::default(),
        enums: &named.enums,
        domains: &named.domains,
        user_types,
        identity_columns: Vec::new(),
        nextval_sequences: Vec::new(),
        new_enums: Vec::new(),
    };
    let mut out = SchemaDefinition::default();
    for t in &named.tables {
        out.tables.push(tables::convert_table(t, &mut cx));
    }
    tables::fix_foreign_keys(&mut out, &mut cx);
    partitions::convert(&mut out, &mut cx);
    objects::convert(&named, &mut out, &mut cx);
    names::fix(&mut out, &mut cx);
    let report = cx.report.lines;
    let refused: Vec<String> = report
        .iter()
        .filter(|d| d.action == Action::Refused)
        .map(|d| d.to_string())
        .collect();
    if !refused.is_empty() {
        return Err(SchemaError::ConversionRefused { from, to, refused });
    }
    let conversion = Conversion {
        from,
        to,
        definition: out,
        report,
    };
    if rules.strict {
        let losses: Vec<String> = conversion.losses().iter().map(|d| d.to_string()).collect();
        if !losses.is_empty() {
            return Err(SchemaError::ConversionLoss { from, to, losses });
        }
    }
    crate::validate::validate(&conversion.definition, Some(to))?;
    Ok(conversion)
}

/// What every step of a conversion shares.
pub(crate) struct Cx<'a> {
    pub from: Dialect,
    pub to: Dialect,
    pub rules: &'a CastRules,
    pub report: Report,
    pub enums: &'a [EnumType],
    pub domains: &'a [Domain],
    /// Enum and domain names (casts to them are dropped).
    pub user_types: Vec<String>,
    /// `table.column` of every identity column in the result.
    pub identity_columns: Vec<String>,
    /// Sequences a `nextval(…)` default drew from, now replaced by identity columns.
    pub nextval_sequences: Vec<String>,
    /// Enum types created for the target (MySQL `enum(…)` into PostgreSQL).
    pub new_enums: Vec<EnumType>,
}

impl Cx<'_> {
    /// The expression context for this conversion.
    pub fn expr<'b>(&'b self, value_as: Option<&'b str>) -> expr::ExprCtx<'b> {
        expr::ExprCtx {
            from: self.from,
            to: self.to,
            value_as,
            user_types: &self.user_types,
        }
    }

    /// True when the target is the other engine family (options and methods do not carry).
    pub fn other_family(&self) -> bool {
        self.from.is_mysql_family() != self.to.is_mysql_family()
            || (self.from == Dialect::Sqlite) != (self.to == Dialect::Sqlite)
    }
}

#[cfg(test)]
mod tests;
