//! Diff of the objects around the tables: row-level security and policies, virtual tables,
//! views, routines, triggers, events and grants.

use super::objects::{find, routine_key, trigger_key, view_key};
use super::{change, Plan};
use crate::definition::{Grant, SchemaDefinition, Table, View};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::{code_order, dependants, Code};
use crate::names::{key, text_key};
use crate::normalize::expr_key;
use std::collections::HashSet;

impl Plan {
    /// Row-level security switches and policies of table `t` (`old`: as it is now).
    pub(super) fn security(&mut self, old: Option<&Table>, t: &Table) {
        let name = t.sql_name(self.d);
        let k = t.key();
        let (rls, force) = old.map_or((false, false), |o| (o.row_security, o.force_row_security));
        if rls != t.row_security {
            let how = if t.row_security { "ENABLE" } else { "DISABLE" };
            self.post.push(change(
                format!("ALTER TABLE {name} {how} ROW LEVEL SECURITY"),
                format!("{} row-level security on {k}", how.to_ascii_lowercase()),
                false,
            ));
        }
        if force != t.force_row_security {
            let how = if t.force_row_security {
                "FORCE"
            } else {
                "NO FORCE"
            };
            self.post.push(change(
                format!("ALTER TABLE {name} {how} ROW LEVEL SECURITY"),
                format!("{} row-level security on {k}", how.to_ascii_lowercase()),
                false,
            ));
        }
        let none = Vec::new();
        let before = old.map_or(&none, |o| &o.policies);
        let same_expr = |x: &Option<String>, y: &Option<String>| {
            x.as_deref().map(expr_key) == y.as_deref().map(expr_key)
        };
        for p in before {
            let gone = match t.policies.iter().find(|q| q.name == p.name) {
                None => true,
                Some(q) => {
                    !q.command.eq_ignore_ascii_case(&p.command) || q.restrictive != p.restrictive
                }
            };
            if gone {
                self.pre.push(change(
                    format!("DROP POLICY {} ON {name}", self.q(&p.name)),
                    format!("drop policy {} on {k}", p.name),
                    false,
                ));
            }
        }
        for p in &t.policies {
            match before.iter().find(|q| q.name == p.name) {
                Some(q)
                    if q.command.eq_ignore_ascii_case(&p.command)
                        && q.restrictive == p.restrictive =>
                {
                    if q.roles != p.roles
                        || !same_expr(&q.using, &p.using)
                        || !same_expr(&q.with_check, &p.with_check)
                    {
                        let mut clauses = self.g.policy_clauses(p);
                        if p.roles.is_empty() && !q.roles.is_empty() {
                            clauses = format!(" TO PUBLIC{clauses}");
                        }
                        self.post.push(change(
                            format!("ALTER POLICY {} ON {name}{clauses}", self.q(&p.name)),
                            format!("change policy {} on {k}", p.name),
                            false,
                        ));
                    }
                }
                _ => self.post.push(change(
                    self.g.create_policy(t, p),
                    format!("create policy {} on {k}", p.name),
                    false,
                )),
            }
        }
    }

    pub(super) fn virtual_tables(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        for v in &a.virtual_tables {
            if !b.virtual_tables.contains(v) {
                self.tables.insert(
                    0,
                    change(
                        format!("DROP TABLE {}", self.q(&v.name)),
                        format!("drop virtual table {}", v.name),
                        true,
                    ),
                );
            }
        }
        for v in &b.virtual_tables {
            if !a.virtual_tables.contains(v) {
                self.post.push(change(
                    self.g.create_virtual_table(v),
                    format!("create virtual table {}", v.name),
                    false,
                ));
            }
        }
    }

    /// Views and routines: those that change or go away are dropped first (dependants
    /// first), with every view reading a changed table; all of those are created again after
    /// the tables, in dependency order. Changed routines are replaced in place where the
    /// engine can (`CREATE OR REPLACE`).
    pub(super) fn code(
        &mut self,
        a: &SchemaDefinition,
        b: &SchemaDefinition,
    ) -> Result<(), SchemaError> {
        let d = self.d;
        let mut changed: HashSet<String> = self.touched.clone();
        let mut recreate: HashSet<String> = HashSet::new();
        for v in &a.views {
            let k = view_key(v);
            let same = find(&b.views, &k, view_key).is_some_and(|w| same_view(v, w, d));
            if !same {
                changed.insert(k.clone());
                recreate.insert(k);
            }
        }
        for v in dependants(&a.views, &changed) {
            recreate.insert(view_key(v));
            self.pre.push(change(
                self.g.drop_view(v),
                format!("drop view {} (recreated after the change)", view_key(v)),
                false,
            ));
        }
        // Views that change without dependants, or go away.
        for v in &a.views {
            let k = view_key(v);
            if recreate.contains(&k) && !self.pre.iter().any(|c| c.sql == self.g.drop_view(v)) {
                self.pre
                    .push(change(self.g.drop_view(v), format!("drop view {k}"), false));
            }
        }
        let mut replaced: HashSet<String> = HashSet::new();
        for r in &a.routines {
            let k = routine_key(r);
            match find(&b.routines, &k, routine_key) {
                Some(n) if same_text(&r.sql, &n.sql, d) => {
                    if r.comment != n.comment && d == Dialect::Postgres {
                        replaced.insert(k);
                    }
                }
                Some(_) if d == Dialect::Postgres || d == Dialect::Mariadb => {
                    replaced.insert(k);
                }
                _ => self.pre.push(change(
                    self.g.drop_routine(r),
                    format!("drop {} {k}", r.kind),
                    false,
                )),
            }
        }
        for c in code_order(&b.routines, &b.views) {
            match c {
                Code::View(v) => {
                    let k = view_key(v);
                    let old = find(&a.views, &k, view_key);
                    if old.is_none() || recreate.contains(&k) {
                        let sqls = self.g.create_view(v)?;
                        Self::push_all(&mut self.post, sqls, &format!("create view {k}"), false);
                    } else if let Some(o) = old.filter(|o| o.comment != v.comment) {
                        let kind = if o.materialized {
                            "MATERIALIZED VIEW"
                        } else {
                            "VIEW"
                        };
                        self.post.push(change(
                            format!(
                                "COMMENT ON {kind} {} IS {}",
                                self.g.view_name(v),
                                v.comment.as_deref().map_or("NULL".into(), |c| d.literal(c))
                            ),
                            format!("comment on view {k}"),
                            false,
                        ));
                    }
                }
                Code::Routine(r) => {
                    let k = routine_key(r);
                    let exists = find(&a.routines, &k, routine_key).is_some();
                    if exists
                        && !replaced.contains(&k)
                        && !self.pre.iter().any(|c| c.sql == self.g.drop_routine(r))
                    {
                        continue;
                    }
                    let mut sqls = self.g.create_routine(r)?;
                    let unchecked = "SET check_function_bodies = false";
                    if self.d == Dialect::Postgres
                        && !exists
                        && !self.pre.iter().any(|c| c.sql == unchecked)
                    {
                        // A SQL-language function may call one the plan creates after it.
                        self.pre.insert(
                            0,
                            change(
                                unchecked.to_string(),
                                "check function bodies when they run".into(),
                                false,
                            ),
                        );
                    }
                    if replaced.contains(&k) {
                        sqls[0] = or_replace(&sqls[0]);
                    }
                    Self::push_all(
                        &mut self.post,
                        sqls,
                        &format!("create {} {k}", r.kind),
                        false,
                    );
                }
            }
        }
        Ok(())
    }

    pub(super) fn triggers(
        &mut self,
        a: &SchemaDefinition,
        b: &SchemaDefinition,
    ) -> Result<(), SchemaError> {
        let d = self.d;
        let mut recreate: HashSet<String> = HashSet::new();
        for t in &a.triggers {
            let k = trigger_key(t);
            let table = key(t.schema.as_deref(), &t.table);
            let table_dropped = !b.tables.iter().any(|x| x.key() == table)
                && !b.views.iter().any(|v| view_key(v) == table);
            let view_recreated = self.pre.iter().any(|c| {
                a.views
                    .iter()
                    .any(|v| view_key(v) == table && c.sql == self.g.drop_view(v))
            });
            let same =
                find(&b.triggers, &k, trigger_key).is_some_and(|n| same_text(&t.sql, &n.sql, d));
            if table_dropped || view_recreated {
                // The trigger goes with its table or view.
                if !table_dropped {
                    recreate.insert(k);
                }
                continue;
            }
            if !same || self.rebuilt.contains(&table) {
                if !self.rebuilt.contains(&table) {
                    self.pre.push(change(
                        self.g.drop_trigger(t),
                        format!("drop trigger {k}"),
                        false,
                    ));
                }
                recreate.insert(k);
            }
        }
        for t in &b.triggers {
            let k = trigger_key(t);
            match find(&a.triggers, &k, trigger_key) {
                Some(old) if !recreate.contains(&k) => {
                    if old.disabled != t.disabled {
                        let how = if t.disabled { "DISABLE" } else { "ENABLE" };
                        self.post.push(change(
                            format!(
                                "ALTER TABLE {} {how} TRIGGER {}",
                                crate::names::qualified(d, t.schema.as_deref(), &t.table),
                                self.q(&t.name)
                            ),
                            format!("{} trigger {k}", how.to_ascii_lowercase()),
                            false,
                        ));
                    }
                }
                _ => {
                    let sqls = self.g.create_trigger(t)?;
                    Self::push_all(&mut self.post, sqls, &format!("create trigger {k}"), false);
                }
            }
        }
        Ok(())
    }

    pub(super) fn events(
        &mut self,
        a: &SchemaDefinition,
        b: &SchemaDefinition,
    ) -> Result<(), SchemaError> {
        let d = self.d;
        let ek = |e: &crate::Event| key(e.schema.as_deref(), &e.name);
        for e in &a.events {
            let k = ek(e);
            let same = find(&b.events, &k, ek).is_some_and(|n| same_text(&e.sql, &n.sql, d));
            let replace = d == Dialect::Mariadb && find(&b.events, &k, ek).is_some();
            if !same && !replace {
                self.pre.push(change(
                    format!(
                        "DROP EVENT {}",
                        crate::names::qualified(d, e.schema.as_deref(), &e.name)
                    ),
                    format!("drop event {k}"),
                    false,
                ));
            }
        }
        for e in &b.events {
            let k = ek(e);
            let old = find(&a.events, &k, ek);
            if old.is_some_and(|o| same_text(&o.sql, &e.sql, d)) {
                continue;
            }
            let mut sql = self.g.create_event(e)?;
            if old.is_some() && d == Dialect::Mariadb {
                sql = or_replace(&sql);
            }
            self.post
                .push(change(sql, format!("create event {k}"), false));
        }
        Ok(())
    }

    pub(super) fn grants(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        let gk = |g: &Grant| format!("{} {} {}", g.on.to_ascii_lowercase(), g.object, g.to);
        let privs = |g: &Grant| -> Vec<String> {
            g.privileges
                .iter()
                .map(|p| p.to_ascii_uppercase())
                .collect()
        };
        for g in &a.grants {
            let now = b.grants.iter().find(|x| gk(x) == gk(g));
            let keep: Vec<String> = now.map(&privs).unwrap_or_default();
            let regrant = now.is_some_and(|n| n.grant_option != g.grant_option);
            let gone: Vec<String> = privs(g)
                .into_iter()
                .filter(|p| regrant || !keep.contains(p))
                .collect();
            if !gone.is_empty() {
                self.post.push(change(
                    self.g.revoke(g, &gone),
                    format!("revoke {} on {} from {}", gone.join(", "), g.object, g.to),
                    false,
                ));
            }
        }
        for g in &b.grants {
            let before = a.grants.iter().find(|x| gk(x) == gk(g));
            let regrant = before.is_some_and(|o| o.grant_option != g.grant_option);
            let had: Vec<String> = before.map(&privs).unwrap_or_default();
            let new: Vec<String> = privs(g)
                .into_iter()
                .filter(|p| regrant || !had.contains(p))
                .collect();
            if !new.is_empty() {
                self.post.push(change(
                    self.g.grant(g, &new),
                    format!("grant {} on {} to {}", new.join(", "), g.object, g.to),
                    false,
                ));
            }
        }
    }
}

/// `CREATE …` → `CREATE OR REPLACE …` (unchanged when it already says so).
fn or_replace(sql: &str) -> String {
    let t = sql.trim_start();
    let upper = t.to_ascii_uppercase();
    if upper.starts_with("CREATE OR REPLACE") || !upper.starts_with("CREATE") {
        return sql.to_string();
    }
    format!("CREATE OR REPLACE{}", &t["CREATE".len()..])
}

fn same_text(a: &crate::DialectText, b: &crate::DialectText, d: Dialect) -> bool {
    a.for_dialect(d).map(text_key) == b.for_dialect(d).map(text_key)
}

/// Two views are the same: their SELECT compares as an expression (engines print view text
/// their own way), and everything else as written.
fn same_view(a: &View, b: &View, d: Dialect) -> bool {
    let sql = |v: &View| {
        v.sql
            .for_dialect(d)
            .map(|s| expr_key(crate::names::statement_text(s)))
    };
    sql(a) == sql(b)
        && a.materialized == b.materialized
        && a.columns == b.columns
        && a.check_option.as_deref().map(str::to_ascii_lowercase)
            == b.check_option.as_deref().map(str::to_ascii_lowercase)
        && a.options == b.options
        && a.indexes == b.indexes
}
