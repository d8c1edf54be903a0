//! Inheritance and partitioning: children become plain tables that keep their own rows.

use super::report::{Action, ObjectKind};
use super::Cx;
use crate::definition::SchemaDefinition;
use crate::dialect::Dialect;

pub(crate) fn convert(def: &mut SchemaDefinition, cx: &mut Cx) {
    let to = cx.to;
    let mysql_family_copy = cx.from.is_mysql_family() && to.is_mysql_family();
    for t in &mut def.tables {
        if !t.inherits.is_empty() && to != Dialect::Postgres {
            let parents = std::mem::take(&mut t.inherits).join(", ");
            cx.report.push(
                ObjectKind::Table,
                &t.name,
                Action::Flattened,
                format!(
                    "INHERITS ({parents}) dropped: a plain table keeping its own rows; a query of {parents} no longer includes them"
                ),
                true,
            );
        }
        if let Some(p) = t.partition_of.take() {
            if to == Dialect::Postgres {
                t.partition_of = Some(p);
            } else {
                cx.report.push(
                    ObjectKind::Table,
                    &t.name,
                    Action::Flattened,
                    format!(
                        "partition of {} ({}): a plain table keeping its own rows",
                        p.parent, p.bound
                    ),
                    true,
                );
            }
        }
        if mysql_family_copy {
            continue;
        }
        if let Some(by) = t.partition_by.take() {
            if cx.from == Dialect::Postgres && to == Dialect::Postgres {
                t.partition_by = Some(by);
                continue;
            }
            let detail = if cx.from == Dialect::Postgres {
                format!(
                    "PARTITION BY {by} dropped: a plain table; its partitions become tables of their own (copy this table's own rows only)"
                )
            } else {
                format!(
                    "PARTITION BY {by} with {} inline partition(s) dropped: one plain table holding every row",
                    t.partitions.len()
                )
            };
            t.partitions.clear();
            cx.report
                .push(ObjectKind::Table, &t.name, Action::Flattened, detail, true);
        }
    }
}
