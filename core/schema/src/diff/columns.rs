//! Column changes on PostgreSQL and MySQL/MariaDB: type, collation, default, nullability,
//! identity (ADD / DROP / SET GENERATED ALWAYS|BY DEFAULT, sequence options) and generated
//! columns (dropped and added again, destructively, unless PostgreSQL can drop the expression).

use super::{change, Plan};
use crate::definition::{Column, Identity, SequenceOptions, Table};
use crate::error::SchemaError;
use crate::normalize::{default_key, same_generated};

impl Plan {
    pub(super) fn alter_column(
        &mut self,
        t: &Table,
        old: &Column,
        new: &Column,
    ) -> Result<(), SchemaError> {
        let d = self.d;
        let tn = t.sql_name(d);
        let key = t.key();
        let narrowing = !old.ty.widens_to(&new.ty);
        if !same_generated(old, new) {
            let pg_drop_expression = d == crate::Dialect::Postgres
                && old.generated.is_some()
                && new.generated.is_none()
                && old.ty == new.ty;
            if pg_drop_expression {
                // The column keeps its values and becomes an ordinary one.
                self.columns.push(change(
                    format!(
                        "ALTER TABLE {tn} ALTER COLUMN {} DROP EXPRESSION",
                        self.q(&new.name)
                    ),
                    format!("make {key}.{} an ordinary column", new.name),
                    false,
                ));
                let mut plain = old.clone();
                plain.generated = None;
                if !crate::normalize::same_column(&plain, new) {
                    return self.alter_column(t, &plain, new);
                }
                return Ok(());
            }
            let mut sql = format!("ALTER TABLE {tn} ADD COLUMN {}", self.g.column_def(t, new)?);
            if d.is_mysql_family() {
                if let Some(i) = t.columns.iter().position(|c| c.name == new.name) {
                    match i {
                        0 => sql.push_str(" FIRST"),
                        _ => sql.push_str(&format!(" AFTER {}", self.q(&t.columns[i - 1].name))),
                    }
                }
            }
            let what = format!(
                "recreate column {key}.{} (generated expression changes)",
                new.name
            );
            self.columns.push(change(
                format!("ALTER TABLE {tn} DROP COLUMN {}", self.q(&new.name)),
                what.clone(),
                true,
            ));
            self.columns.push(change(sql, what, true));
            return Ok(());
        }
        if d.is_mysql_family() {
            self.columns.push(change(
                format!(
                    "ALTER TABLE {tn} MODIFY COLUMN {}",
                    self.g.column_def(t, new)?
                ),
                if old.ty == new.ty {
                    format!("change column {key}.{}", new.name)
                } else {
                    format!("change column {key}.{} ({} → {})", new.name, old.ty, new.ty)
                },
                narrowing,
            ));
            return Ok(());
        }
        let col = self.q(&new.name);
        let pre = format!("ALTER TABLE {tn} ALTER COLUMN {col}");
        let push = |plan: &mut Plan, sql: String, what: &str, destructive: bool| {
            plan.columns.push(change(
                sql,
                format!("{what} {key}.{}", new.name),
                destructive,
            ));
        };
        if old.identity.is_set() && !new.identity.is_set() {
            push(self, format!("{pre} DROP IDENTITY"), "drop identity", false);
        }
        let collation_changed = old.collation.as_deref().map(str::to_ascii_lowercase)
            != new.collation.as_deref().map(str::to_ascii_lowercase);
        if old.ty != new.ty || collation_changed {
            let ty = d.type_sql(&new.ty, &t.name, &new.name)?;
            let coll = new
                .collation
                .as_deref()
                .map(|c| format!(" COLLATE {}", d.quote(c)))
                .unwrap_or_default();
            let using = if old.ty != new.ty {
                format!(" USING {col}::{ty}")
            } else {
                String::new()
            };
            self.columns.push(change(
                format!("{pre} TYPE {ty}{coll}{using}"),
                format!(
                    "change type of {key}.{} ({} → {})",
                    new.name, old.ty, new.ty
                ),
                narrowing,
            ));
        }
        // A default goes before an identity comes (a column cannot have both); an identity
        // column never gets one.
        if default_key(old) != default_key(new) {
            match &new.default {
                Some(v) if !new.identity.is_set() => push(
                    self,
                    format!("{pre} SET DEFAULT {}", d.default_sql(new, v)),
                    "change default of",
                    false,
                ),
                Some(_) => {}
                None => push(
                    self,
                    format!("{pre} DROP DEFAULT"),
                    "drop default of",
                    false,
                ),
            }
        }
        if old.nullable != new.nullable {
            let sql = if new.nullable {
                format!("{pre} DROP NOT NULL")
            } else {
                format!("{pre} SET NOT NULL")
            };
            push(self, sql, "change nullability of", false);
        }
        match (old.identity, new.identity) {
            (_, Identity::No) => {}
            (Identity::No, id) => {
                let mut sql = format!("{pre} ADD GENERATED {} AS IDENTITY", how(id));
                if let Some(o) = &new.identity_options {
                    let opts = crate::generate::sequence_options(o, d, false);
                    if !opts.is_empty() {
                        sql.push_str(&format!(" ({})", opts.join(" ")));
                    }
                }
                push(self, sql, "add identity", false);
                // The rows already there keep their values: the identity continues after them.
                if new
                    .identity_options
                    .as_ref()
                    .and_then(|o| o.start)
                    .is_none()
                {
                    push(
                        self,
                        format!(
                            "DO $$ BEGIN EXECUTE format('{pre} RESTART WITH %s', (SELECT COALESCE(MAX({col}), 0) + 1 FROM {tn})); END $$",
                            pre = pre.replace('\'', "''")
                        ),
                        "continue identity after the existing values of",
                        false,
                    );
                }
            }
            (was, now) => {
                if was != now {
                    push(
                        self,
                        format!("{pre} SET GENERATED {}", how(now)),
                        "change identity of",
                        false,
                    );
                }
                let sets = identity_option_changes(
                    old.identity_options.as_ref(),
                    new.identity_options.as_ref(),
                );
                if !sets.is_empty() {
                    push(
                        self,
                        format!("{pre} {}", sets.join(" ")),
                        "change identity options of",
                        false,
                    );
                }
            }
        }
        Ok(())
    }
}

fn how(id: Identity) -> &'static str {
    if id == Identity::Always {
        "ALWAYS"
    } else {
        "BY DEFAULT"
    }
}

/// `SET INCREMENT BY 2 SET MINVALUE 1 …` for the identity options that change (an option
/// that is no longer given returns to the engine's default: `SET NO MINVALUE`).
fn identity_option_changes(
    a: Option<&SequenceOptions>,
    b: Option<&SequenceOptions>,
) -> Vec<String> {
    let none = SequenceOptions::default();
    let a = a.unwrap_or(&none);
    let b = b.unwrap_or(&none);
    let mut out = Vec::new();
    // An unset increment or cache is 1, as the engines read them back.
    if a.increment.unwrap_or(1) != b.increment.unwrap_or(1) {
        out.push(format!("SET INCREMENT BY {}", b.increment.unwrap_or(1)));
    }
    if a.min_value != b.min_value {
        out.push(
            b.min_value
                .map_or("SET NO MINVALUE".into(), |v| format!("SET MINVALUE {v}")),
        );
    }
    if a.max_value != b.max_value {
        out.push(
            b.max_value
                .map_or("SET NO MAXVALUE".into(), |v| format!("SET MAXVALUE {v}")),
        );
    }
    if a.start != b.start {
        if let Some(v) = b.start {
            out.push(format!("SET START WITH {v}"));
        }
    }
    if a.cache.unwrap_or(1) != b.cache.unwrap_or(1) {
        out.push(format!("SET CACHE {}", b.cache.unwrap_or(1)));
    }
    if a.cycle != b.cycle {
        out.push(if b.cycle { "SET CYCLE" } else { "SET NO CYCLE" }.into());
    }
    out
}
