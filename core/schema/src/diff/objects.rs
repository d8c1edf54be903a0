//! Diff of the objects the tables need or that stand alone: schemas, extensions, enums,
//! domains and sequences (the rest is in `code`).

use super::{change, Change, Plan};
use crate::definition::{Domain, EnumType, Routine, SchemaDefinition, Sequence, Trigger, View};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::names::key;
use crate::normalize::{default_key, expr_key};

pub(super) fn find<'a, T>(list: &'a [T], k: &str, key_of: impl Fn(&T) -> String) -> Option<&'a T> {
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
pub(super) fn view_key(v: &View) -> String {
    key(v.schema.as_deref(), &v.name)
}
pub(super) fn routine_key(r: &Routine) -> String {
    format!("{}({})", key(r.schema.as_deref(), &r.name), r.arguments)
}
pub(super) fn trigger_key(t: &Trigger) -> String {
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
        } else {
            let same =
                a.grants.len() == b.grants.len() && a.grants.iter().all(|g| b.grants.contains(g));
            if !same {
                self.notices.push(format!(
                    "privileges differ ({} grant(s) on one side, {} on the other) and were not compared: diff with grants (--grants, #{{ grants: true }}) to migrate them",
                    a.grants.len(),
                    b.grants.len()
                ));
            }
        }
        Ok(())
    }

    pub(super) fn push_all(
        phase: &mut Vec<Change>,
        sqls: Vec<String>,
        what: &str,
        destructive: bool,
    ) {
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
                    if let (Dialect::Postgres, Some(min)) = (self.d, s.options.min_value) {
                        if old.options.min_value != Some(min) {
                            // A sequence still below its new MINVALUE is moved up to it
                            // first (not yet called, so the next value is MINVALUE):
                            // ALTER SEQUENCE refuses a current value out of range.
                            self.types.push(change(
                                format!(
                                    "SELECT setval({lit}, GREATEST(last_value, {min}), last_value >= {min} AND is_called) FROM {name}",
                                    lit = self.d.literal(&name)
                                ),
                                format!("move sequence {k} up to its new minimum"),
                                false,
                            ));
                        }
                    }
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
                if s.owned_by.is_some() && self.d == Dialect::Postgres {
                    // A `serial` column's sequence goes before the columns change, with the
                    // default that reads it (CASCADE): an identity replacing the serial then
                    // gets the sequence's name, as it would on a new table.
                    self.drops.push(change(
                        format!(
                            "DROP SEQUENCE IF EXISTS {} CASCADE",
                            crate::names::qualified(self.d, s.schema.as_deref(), &s.name)
                        ),
                        format!("drop sequence {} and the default reading it", seq_key(s)),
                        true,
                    ));
                    continue;
                }
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
    // An unset increment or cache is 1, as the engines read them back.
    if a.increment.unwrap_or(1) != b.increment.unwrap_or(1) {
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
    if a.cache.unwrap_or(1) != b.cache.unwrap_or(1) {
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
