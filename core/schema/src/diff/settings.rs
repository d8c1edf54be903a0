//! Table settings in a diff: partition membership and partitioning, UNLOGGED, INHERITS,
//! storage parameters and table options, MySQL partitions, and the order of columns.

use super::{change, Plan};
use crate::definition::Table;
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::parent_key;
use crate::normalize::expr_key;

impl Plan {
    /// PostgreSQL: a table joining, leaving or moving between partitioned parents, and a
    /// change of partitioning (refused: it means rebuilding the table).
    pub(super) fn partitioning(&mut self, a: &Table, b: &Table) {
        let d = self.d;
        if a.partition_by.as_deref().map(expr_key) != b.partition_by.as_deref().map(expr_key) {
            self.refuse(
                "table",
                &b.key(),
                format!(
                    "partitioning changes ({} → {}); PostgreSQL cannot re-partition a table in place: create the new table, move the rows and swap names",
                    a.partition_by.as_deref().unwrap_or("none"),
                    b.partition_by.as_deref().unwrap_or("none")
                ),
            );
        }
        let same = match (&a.partition_of, &b.partition_of) {
            (Some(x), Some(y)) => {
                parent_key(a, &x.parent) == parent_key(b, &y.parent)
                    && expr_key(&x.bound) == expr_key(&y.bound)
            }
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if let Some(x) = &a.partition_of {
            self.drops.push(change(
                format!(
                    "ALTER TABLE {} DETACH PARTITION {}",
                    crate::names::quote_ref(d, &parent_key(a, &x.parent)),
                    a.sql_name(d)
                ),
                format!("detach partition {}", a.key()),
                false,
            ));
        }
        if let Some(y) = &b.partition_of {
            self.adds.insert(
                0,
                change(
                    format!(
                        "ALTER TABLE {} ATTACH PARTITION {} {}",
                        crate::names::quote_ref(d, &parent_key(b, &y.parent)),
                        b.sql_name(d),
                        y.bound.trim()
                    ),
                    format!("attach partition {}", b.key()),
                    false,
                ),
            );
        }
    }

    /// UNLOGGED, INHERITS, storage parameters / table options, MySQL partitions.
    pub(super) fn table_settings(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        let d = self.d;
        let tn = b.sql_name(d);
        let key = b.key();
        let alter = |plan: &mut Plan, sql: String, what: String| {
            plan.columns
                .push(change(sql, format!("{what} {key}"), false));
        };
        if a.unlogged != b.unlogged {
            let to = if b.unlogged { "UNLOGGED" } else { "LOGGED" };
            alter(
                self,
                format!("ALTER TABLE {tn} SET {to}"),
                format!("set {to}"),
            );
        }
        for p in b.inherits.iter().filter(|p| !a.inherits.contains(p)) {
            let parent = crate::names::quote_ref(d, &parent_key(b, p));
            alter(
                self,
                format!("ALTER TABLE {tn} INHERIT {parent}"),
                "inherit".into(),
            );
        }
        for p in a.inherits.iter().filter(|p| !b.inherits.contains(p)) {
            let parent = crate::names::quote_ref(d, &parent_key(a, p));
            alter(
                self,
                format!("ALTER TABLE {tn} NO INHERIT {parent}"),
                "no inherit".into(),
            );
        }
        if a.options != b.options {
            if d == Dialect::Postgres {
                let set: std::collections::BTreeMap<String, String> = b
                    .options
                    .iter()
                    .filter(|(k, v)| a.options.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !set.is_empty() {
                    let list = set
                        .iter()
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    alter(
                        self,
                        format!("ALTER TABLE {tn} SET ({list})"),
                        "set storage parameters of".into(),
                    );
                }
                let reset: Vec<&str> = a
                    .options
                    .keys()
                    .filter(|k| !b.options.contains_key(*k))
                    .map(String::as_str)
                    .collect();
                if !reset.is_empty() {
                    alter(
                        self,
                        format!("ALTER TABLE {tn} RESET ({})", reset.join(", ")),
                        "reset storage parameters of".into(),
                    );
                }
            } else {
                // A new default character set converts the columns that follow the table's
                // (MySQL's `DEFAULT CHARSET=` alone would leave them in the old one); columns
                // with their own character set or collation are set back after it.
                let converted = match b.options.get("charset") {
                    Some(cs) if a.options.get("charset") != Some(cs) => {
                        let collate = b
                            .options
                            .get("collation")
                            .map(|c| format!(" COLLATE {c}"))
                            .unwrap_or_default();
                        self.columns.push(change(
                            format!("ALTER TABLE {tn} CONVERT TO CHARACTER SET {cs}{collate}"),
                            format!("convert {key} to character set {cs} (characters it cannot hold are lost)"),
                            true,
                        ));
                        for c in b
                            .columns
                            .iter()
                            .filter(|c| c.charset.is_some() || c.collation.is_some())
                        {
                            let sql = format!(
                                "ALTER TABLE {tn} MODIFY COLUMN {}",
                                self.g.column_def(b, c)?
                            );
                            alter(
                                self,
                                sql,
                                format!("keep the character set of column {} in", c.name),
                            );
                        }
                        true
                    }
                    _ => false,
                };
                for (k, v) in b
                    .options
                    .iter()
                    .filter(|(k, v)| a.options.get(*k) != Some(*v))
                    .filter(|(k, _)| !(converted && (*k == "charset" || *k == "collation")))
                {
                    let opt = crate::generate::mysql_table_option(k, v);
                    alter(
                        self,
                        format!("ALTER TABLE {tn} {opt}"),
                        format!("set {k} of"),
                    );
                }
                for k in a.options.keys().filter(|k| !b.options.contains_key(*k)) {
                    self.notices.push(format!(
                        "table {}: option `{k}` is no longer listed; MySQL keeps the current value",
                        b.key()
                    ));
                }
            }
        }
        if d.is_mysql_family() && (a.partition_by != b.partition_by || a.partitions != b.partitions)
        {
            let sql = if b.partition_by.is_none() {
                format!("ALTER TABLE {tn} REMOVE PARTITIONING")
            } else {
                // The CREATE TABLE suffix without the table: `PARTITION BY … (…)`.
                let mut shadow = b.clone();
                shadow.options.clear();
                shadow.comment = None;
                let full = self.g.create_table(&shadow, &[]).unwrap_or_default();
                let at = full.find(" PARTITION BY ").unwrap_or(full.len());
                format!("ALTER TABLE {tn}{}", &full[at..])
            };
            alter(self, sql, "repartition".into());
        }
        Ok(())
    }

    /// MariaDB/MySQL move columns into the wanted order (`MODIFY … AFTER`); PostgreSQL
    /// cannot, so a differing order is a notice.
    pub(super) fn column_order(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        // The order after adds (placed by AFTER/FIRST on MySQL, appended elsewhere) and drops.
        // A column recreated for its generated expression is added at the end again (on
        // PostgreSQL, one losing its expression stays where it is).
        let recreated = |c: &crate::Column| {
            b.column(&c.name).is_some_and(|n| {
                let keeps_place =
                    self.d == Dialect::Postgres && n.generated.is_none() && c.ty == n.ty;
                !(crate::normalize::same_generated(c, n) || keeps_place)
            })
        };
        let mut current: Vec<String> = a
            .columns
            .iter()
            .filter(|c| b.column(&c.name).is_some() && !recreated(c))
            .map(|c| c.name.clone())
            .collect();
        let wanted: Vec<String> = b.columns.iter().map(|c| c.name.clone()).collect();
        if !self.d.is_mysql_family() {
            // Added and recreated columns are appended, in table order.
            let mut result = current.clone();
            result.extend(wanted.iter().filter(|n| !current.contains(n)).cloned());
            if result != wanted {
                self.notices.push(format!(
                    "table {}: column order differs (now {}; wanted {}); {} cannot reorder columns",
                    b.key(),
                    a.columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    wanted.join(", "),
                    self.d
                ));
            }
            return Ok(());
        }
        for (i, n) in wanted.iter().enumerate() {
            if !current.contains(n) {
                current.insert(i.min(current.len()), n.clone());
            }
        }
        for (i, n) in wanted.iter().enumerate() {
            if current.get(i) == Some(n) {
                continue;
            }
            let Some(c) = b.column(n) else { continue };
            let place = if i == 0 {
                " FIRST".to_string()
            } else {
                format!(" AFTER {}", self.q(&wanted[i - 1]))
            };
            self.columns.push(change(
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}{place}",
                    b.sql_name(self.d),
                    self.g.column_def(b, c)?
                ),
                format!("move column {}.{n}", b.key()),
                false,
            ));
            current.retain(|x| x != n);
            current.insert(i, n.clone());
        }
        Ok(())
    }
}
