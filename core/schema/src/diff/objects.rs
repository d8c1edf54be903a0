//! Diff of the objects besides tables: schemas, extensions, enums, domains, sequences,
//! row-level security and policies, views, routines, triggers, events, virtual tables and
//! grants.

use super::{change, Change, Plan};
use crate::definition::{
    Domain, EnumType, Grant, Routine, SchemaDefinition, Sequence, Table, Trigger, View,
};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::{code_order, dependants, Code};
use crate::names::{key, text_key};
use crate::normalize::{default_key, expr_key};
use std::collections::HashSet;

fn find<'a, T>(list: &'a [T], k: &str, key_of: impl Fn(&T) -> String) -> Option<&'a T> {
    list.iter().find(|x| key_of(x) == k)
}

fn enum_key(e: &EnumType) -> String {
    key(e.schema.as_deref(), &e.name)
}
fn domain_key(d: &Domain) -> String {
    key(d.schema.as_deref(), &d.name)
}
fn seq_key(s: &Sequence) -> String {
    key(s.schema.as_deref(), &s.name)
}
fn view_key(v: &View) -> String {
    key(v.schema.as_deref(), &v.name)
}
fn routine_key(r: &Routine) -> String {
    format!("{}({})", key(r.schema.as_deref(), &r.name), r.arguments)
}
fn trigger_key(t: &Trigger) -> String {
    format!("{} {}", key(t.schema.as_deref(), &t.table), t.name)
}

impl Plan {
    /// Everything besides the tables' own columns and constraints.
    pub(super) fn objects(
        &mut self,
        a: &SchemaDefinition,
        b: &SchemaDefinition,
    ) -> Result<(), SchemaError> {
        self.namespaces(a, b);
        self.extensions(a, b);
        self.enums(a, b);
        self.domains(a, b)?;
        self.sequences(a, b);
        for t in &b.tables {
            let old = a.tables.iter().find(|x| x.key() == t.key());
            self.security(old, t);
        }
        self.virtual_tables(a, b);
        self.code(a, b)?;
        self.triggers(a, b)?;
        self.events(a, b)?;
        if self.options.grants {
            self.grants(a, b);
        }
        Ok(())
    }

    fn push_all(phase: &mut Vec<Change>, sqls: Vec<String>, what: &str, destructive: bool) {
        for s in sqls {
            phase.push(change(s, what.to_string(), destructive));
        }
    }

    fn namespaces(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        for n in &b.schemas {
            match a.schemas.iter().find(|x| x.name == n.name) {
                None => {
                    let sqls = self.g.create_namespace(n);
                    Self::push_all(
                        &mut self.types,
                        sqls,
                        &format!("create schema {}", n.name),
                        false,
                    );
                }
                Some(old) if old.comment != n.comment && self.d == Dialect::Postgres => {
                    self.post.push(change(
                        format!(
                            "COMMENT ON SCHEMA {} IS {}",
                            self.q(&n.name),
                            n.comment
                                .as_deref()
                                .map_or("NULL".into(), |c| self.d.literal(c))
                        ),
                        format!("comment on schema {}", n.name),
                        false,
                    ));
                }
                Some(_) => {}
            }
        }
        for n in &a.schemas {
            if !b.schemas.iter().any(|x| x.name == n.name) {
                self.cleanup.push(change(
                    self.g.drop_namespace(n),
                    format!("drop schema {}", n.name),
                    true,
                ));
            }
        }
    }

    fn extensions(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        for e in &b.extensions {
            let name = self.q(&e.name);
            match a.extensions.iter().find(|x| x.name == e.name) {
                None => self.types.push(change(
                    self.g.create_extension(e),
                    format!("create extension {}", e.name),
                    false,
                )),
                Some(old) => {
                    if let (Some(v), true) = (&e.version, old.version != e.version) {
                        self.types.push(change(
                            format!("ALTER EXTENSION {name} UPDATE TO {}", self.d.literal(v)),
                            format!("update extension {}", e.name),
                            false,
                        ));
                    }
                    if let (Some(s), true) = (&e.schema, old.schema != e.schema) {
                        self.types.push(change(
                            format!("ALTER EXTENSION {name} SET SCHEMA {}", self.q(s)),
                            format!("move extension {}", e.name),
                            false,
                        ));
                    }
                }
            }
        }
        for e in &a.extensions {
            if !b.extensions.iter().any(|x| x.name == e.name) {
                self.cleanup.push(change(
                    format!("DROP EXTENSION {}", self.q(&e.name)),
                    format!("drop extension {}", e.name),
                    true,
                ));
            }
        }
    }

    fn enums(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        for e in &b.enums {
            let k = enum_key(e);
            let Some(old) = find(&a.enums, &k, enum_key) else {
                let sqls = self.g.create_enum(e);
                Self::push_all(&mut self.types, sqls, &format!("create enum {k}"), false);
                continue;
            };
            let name = crate::names::qualified(self.d, e.schema.as_deref(), &e.name);
            // Old labels must stay, in their order: new ones are inserted around them.
            let kept: Vec<&String> = e.labels.iter().filter(|l| old.labels.contains(l)).collect();
            if kept.len() != old.labels.len() || kept.iter().zip(&old.labels).any(|(x, y)| *x != y)
            {
                self.refuse(
                    "enum",
                    &k,
                    format!(
                        "labels removed or reordered ({} → {}); PostgreSQL only adds labels: rebuild the type (create a new one, ALTER the columns USING col::text::new_type, drop the old one)",
                        old.labels.join(", "),
                        e.labels.join(", ")
                    ),
                );
                continue;
            }
            for (i, l) in e.labels.iter().enumerate() {
                if old.labels.contains(l) {
                    continue;
                }
                let place = match i.checked_sub(1).map(|p| &e.labels[p]) {
                    Some(prev) => format!(" AFTER {}", self.d.literal(prev)),
                    None => match e.labels.get(1) {
                        Some(next) => format!(" BEFORE {}", self.d.literal(next)),
                        None => String::new(),
                    },
                };
                let mut c = change(
                    format!("ALTER TYPE {name} ADD VALUE {}{place}", self.d.literal(l)),
                    format!("add label {l} to enum {k}"),
                    false,
                );
                c.outside_transaction = true;
                self.types.push(c);
            }
            if old.comment != e.comment {
                self.post.push(change(
                    format!(
                        "COMMENT ON TYPE {name} IS {}",
                        e.comment
                            .as_deref()
                            .map_or("NULL".into(), |c| self.d.literal(c))
                    ),
                    format!("comment on enum {k}"),
                    false,
                ));
            }
        }
        for e in &a.enums {
            if find(&b.enums, &enum_key(e), enum_key).is_none() {
                self.cleanup.push(change(
                    format!(
                        "DROP TYPE {}",
                        crate::names::qualified(self.d, e.schema.as_deref(), &e.name)
                    ),
                    format!("drop enum {}", enum_key(e)),
                    true,
                ));
            }
        }
    }

    fn domains(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) -> Result<(), SchemaError> {
        for dm in &b.domains {
            let k = domain_key(dm);
            let Some(old) = find(&a.domains, &k, domain_key) else {
                let sqls = self.g.create_domain(dm)?;
                Self::push_all(&mut self.types, sqls, &format!("create domain {k}"), false);
                continue;
            };
            let name = crate::names::qualified(self.d, dm.schema.as_deref(), &dm.name);
            let lower = |s: &Option<String>| s.as_deref().map(str::to_ascii_lowercase);
            if old.ty != dm.ty || lower(&old.collation) != lower(&dm.collation) {
                self.refuse(
                    "domain",
                    &k,
                    format!(
                        "base type or collation changes ({} → {}); PostgreSQL cannot alter them: recreate the domain and the columns using it",
                        old.ty, dm.ty
                    ),
                );
                continue;
            }
            let col = |d: &Domain| {
                let mut c = crate::Column::new("value", d.ty.clone());
                c.default = d.default.clone();
                c
            };
            let pre = format!("ALTER DOMAIN {name}");
            if default_key(&col(old)) != default_key(&col(dm)) {
                let sql = match &dm.default {
                    Some(v) => format!("{pre} SET DEFAULT {}", self.d.default_sql(&col(dm), v)),
                    None => format!("{pre} DROP DEFAULT"),
                };
                self.types
                    .push(change(sql, format!("change default of domain {k}"), false));
            }
            if old.nullable != dm.nullable {
                let sql = if dm.nullable {
                    format!("{pre} DROP NOT NULL")
                } else {
                    format!("{pre} SET NOT NULL")
                };
                self.types.push(change(
                    sql,
                    format!("change nullability of domain {k}"),
                    false,
                ));
            }
            let same = |x: &crate::Check, y: &crate::Check| {
                x.name == y.name && expr_key(&x.expr) == expr_key(&y.expr)
            };
            for ck in old
                .checks
                .iter()
                .filter(|c| !dm.checks.iter().any(|d| same(c, d)))
            {
                match &ck.name {
                    Some(n) => self.types.push(change(
                        format!("{pre} DROP CONSTRAINT {}", self.q(n)),
                        format!("drop check {n} of domain {k}"),
                        false,
                    )),
                    None => self.refuse(
                        "domain",
                        &k,
                        format!(
                            "an unnamed check ({}) goes away: name it to drop it",
                            ck.expr
                        ),
                    ),
                }
            }
            for ck in dm
                .checks
                .iter()
                .filter(|c| !old.checks.iter().any(|d| same(c, d)))
            {
                self.types.push(change(
                    format!("{pre} ADD {}", self.g.domain_check(ck)),
                    format!("add check to domain {k}"),
                    false,
                ));
            }
            if old.comment != dm.comment {
                self.post.push(change(
                    format!(
                        "COMMENT ON DOMAIN {name} IS {}",
                        dm.comment
                            .as_deref()
                            .map_or("NULL".into(), |c| self.d.literal(c))
                    ),
                    format!("comment on domain {k}"),
                    false,
                ));
            }
        }
        for dm in &a.domains {
            if find(&b.domains, &domain_key(dm), domain_key).is_none() {
                self.cleanup.push(change(
                    format!(
                        "DROP DOMAIN {}",
                        crate::names::qualified(self.d, dm.schema.as_deref(), &dm.name)
                    ),
                    format!("drop domain {}", domain_key(dm)),
                    true,
                ));
            }
        }
        Ok(())
    }

    fn sequences(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
        for s in &b.sequences {
            let k = seq_key(s);
            let name = crate::names::qualified(self.d, s.schema.as_deref(), &s.name);
            let old = find(&a.sequences, &k, seq_key);
            match old {
                None => {
                    let sqls = self.g.create_sequence(s);
                    Self::push_all(
                        &mut self.types,
                        sqls,
                        &format!("create sequence {k}"),
                        false,
                    );
                }
                Some(old) if old.options != s.options => {
                    let clauses = sequence_changes(&old.options, &s.options, self.d);
                    if !clauses.is_empty() {
                        self.types.push(change(
                            format!("ALTER SEQUENCE {name} {}", clauses.join(" ")),
                            format!("change sequence {k}"),
                            false,
                        ));
                    }
                }
                Some(_) => {}
            }
            if old.map(|o| &o.owned_by) != Some(&s.owned_by)
                && (old.is_some() || s.owned_by.is_some())
            {
                self.post.push(change(
                    self.g.sequence_owner(s),
                    format!("set owner of sequence {k}"),
                    false,
                ));
            }
            if let (None, Some(owner), None) = (old, &s.owned_by, s.options.start) {
                // A sequence made for a column that already holds values continues after them.
                let (table, column) = owner.rsplit_once('.').unwrap_or((owner.as_str(), ""));
                let existing = a.tables.iter().find(|t| {
                    (t.key() == table || (t.name == table && t.schema == s.schema))
                        && t.column(column).is_some()
                });
                if let Some(t) = existing {
                    self.post.push(change(
                        format!(
                            "SELECT setval({}, COALESCE(MAX({}), 0) + 1, false) FROM {}",
                            self.d.literal(&name),
                            self.q(column),
                            t.sql_name(self.d)
                        ),
                        format!("continue sequence {k} after the values of {owner}"),
                        false,
                    ));
                }
            }
            if old.is_some_and(|o| o.comment != s.comment) && self.d == Dialect::Postgres {
                self.post.push(change(
                    format!(
                        "COMMENT ON SEQUENCE {name} IS {}",
                        s.comment
                            .as_deref()
                            .map_or("NULL".into(), |c| self.d.literal(c))
                    ),
                    format!("comment on sequence {k}"),
                    false,
                ));
            }
        }
        for s in &a.sequences {
            if find(&b.sequences, &seq_key(s), seq_key).is_none() {
                // IF EXISTS: an owned sequence goes with its table or column.
                self.cleanup.push(change(
                    format!(
                        "DROP SEQUENCE IF EXISTS {}",
                        crate::names::qualified(self.d, s.schema.as_deref(), &s.name)
                    ),
                    format!("drop sequence {}", seq_key(s)),
                    true,
                ));
            }
        }
    }

    /// Row-level security switches and policies of table `t` (`old`: as it is now).
    fn security(&mut self, old: Option<&Table>, t: &Table) {
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

    fn virtual_tables(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
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
    fn code(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) -> Result<(), SchemaError> {
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

    fn triggers(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) -> Result<(), SchemaError> {
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

    fn events(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) -> Result<(), SchemaError> {
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

    fn grants(&mut self, a: &SchemaDefinition, b: &SchemaDefinition) {
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

/// `INCREMENT BY 2 NO MAXVALUE …` for the sequence options that change.
fn sequence_changes(
    a: &crate::SequenceOptions,
    b: &crate::SequenceOptions,
    d: Dialect,
) -> Vec<String> {
    let mut out = Vec::new();
    if a.ty != b.ty && d == Dialect::Postgres {
        if let Some(ty) = &b.ty {
            if let Ok(t) = d.type_sql(ty, "", "") {
                out.push(format!("AS {t}"));
            }
        }
    }
    if a.increment != b.increment {
        out.push(format!("INCREMENT BY {}", b.increment.unwrap_or(1)));
    }
    if a.min_value != b.min_value {
        out.push(
            b.min_value
                .map_or("NO MINVALUE".into(), |v| format!("MINVALUE {v}")),
        );
    }
    if a.max_value != b.max_value {
        out.push(
            b.max_value
                .map_or("NO MAXVALUE".into(), |v| format!("MAXVALUE {v}")),
        );
    }
    if a.start != b.start {
        if let Some(v) = b.start {
            out.push(format!("START WITH {v}"));
        }
    }
    if a.cache != b.cache {
        out.push(format!("CACHE {}", b.cache.unwrap_or(1)));
    }
    if a.cycle != b.cycle {
        let no = if d == Dialect::Mariadb {
            "NOCYCLE"
        } else {
            "NO CYCLE"
        };
        out.push(if b.cycle { "CYCLE" } else { no }.into());
    }
    out
}
