//! DDL of the objects besides tables: schemas, extensions, enums, domains, sequences, views,
//! routines, triggers, events, virtual tables, row-level security, grants and comments.

use super::table::sequence_options;
use super::SchemaGenerator;
use crate::definition::{
    DialectText, Domain, EnumType, Event, Extension, Grant, Namespace, Policy, Routine, Sequence,
    Table, Trigger, View, VirtualTable,
};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::names::{qualified, quote_ref, statement_text};

impl SchemaGenerator {
    fn q(&self, schema: Option<&str>, name: &str) -> String {
        qualified(self.dialect, schema, name)
    }

    fn comment_on(&self, what: &str, name: &str, text: Option<&str>) -> String {
        format!(
            "COMMENT ON {what} {name} IS {}",
            text.map_or("NULL".into(), |c| self.dialect.literal(c))
        )
    }

    /// The text of `text` for this dialect; an error naming `object` when it has none.
    pub(crate) fn text_of<'a>(
        &self,
        text: &'a DialectText,
        object: &str,
    ) -> Result<&'a str, SchemaError> {
        text.for_dialect(self.dialect)
            .map(statement_text)
            .ok_or_else(|| SchemaError::Object {
                dialect: self.dialect,
                object: object.to_string(),
                what: format!("its `sql` has no `{}` text", self.dialect.name()),
            })
    }

    /// `CREATE SCHEMA` (PostgreSQL) or `CREATE DATABASE` (MySQL/MariaDB), with its comment.
    pub(crate) fn create_namespace(&self, n: &Namespace) -> Vec<String> {
        let d = self.dialect;
        match d {
            Dialect::Postgres => {
                let mut out = vec![format!("CREATE SCHEMA {}", d.quote(&n.name))];
                if n.comment.is_some() {
                    out.push(self.comment_on("SCHEMA", &d.quote(&n.name), n.comment.as_deref()));
                }
                out
            }
            _ => {
                let mut s = format!("CREATE DATABASE {}", d.quote(&n.name));
                if let Some(c) = &n.comment {
                    s.push_str(&format!(" COMMENT {}", d.literal(c)));
                }
                vec![s]
            }
        }
    }

    /// `DROP SCHEMA` / `DROP DATABASE`.
    pub(crate) fn drop_namespace(&self, n: &Namespace) -> String {
        let what = if self.dialect == Dialect::Postgres {
            "SCHEMA"
        } else {
            "DATABASE"
        };
        format!("DROP {what} {}", self.dialect.quote(&n.name))
    }

    /// `CREATE EXTENSION IF NOT EXISTS name [SCHEMA s] [VERSION 'v']`.
    pub(crate) fn create_extension(&self, e: &Extension) -> String {
        let d = self.dialect;
        let mut s = format!("CREATE EXTENSION IF NOT EXISTS {}", d.quote(&e.name));
        if let Some(schema) = &e.schema {
            s.push_str(&format!(" SCHEMA {}", d.quote(schema)));
        }
        if let Some(v) = &e.version {
            s.push_str(&format!(" VERSION {}", d.literal(v)));
        }
        s
    }

    /// `CREATE TYPE … AS ENUM (…)` and its comment.
    pub(crate) fn create_enum(&self, e: &EnumType) -> Vec<String> {
        let name = self.q(e.schema.as_deref(), &e.name);
        let labels: Vec<String> = e.labels.iter().map(|l| self.dialect.literal(l)).collect();
        let mut out = vec![format!(
            "CREATE TYPE {name} AS ENUM ({})",
            labels.join(", ")
        )];
        if e.comment.is_some() {
            out.push(self.comment_on("TYPE", &name, e.comment.as_deref()));
        }
        out
    }

    /// `CREATE DOMAIN … AS type [COLLATE] [DEFAULT] [NOT NULL] [CONSTRAINT … CHECK]`.
    pub(crate) fn create_domain(&self, dm: &Domain) -> Result<Vec<String>, SchemaError> {
        let d = self.dialect;
        let name = self.q(dm.schema.as_deref(), &dm.name);
        let mut s = format!(
            "CREATE DOMAIN {name} AS {}",
            d.type_sql(&dm.ty, &dm.name, "")?
        );
        if let Some(c) = &dm.collation {
            s.push_str(&format!(" COLLATE {}", d.quote(c)));
        }
        if let Some(v) = &dm.default {
            let col = crate::Column::new("value", dm.ty.clone());
            s.push_str(&format!(" DEFAULT {}", d.default_sql(&col, v)));
        }
        if !dm.nullable {
            s.push_str(" NOT NULL");
        }
        for ck in &dm.checks {
            s.push(' ');
            s.push_str(&self.domain_check(ck));
        }
        let mut out = vec![s];
        if dm.comment.is_some() {
            out.push(self.comment_on("DOMAIN", &name, dm.comment.as_deref()));
        }
        Ok(out)
    }

    /// `[CONSTRAINT name] CHECK (expr)` of a domain.
    pub(crate) fn domain_check(&self, ck: &crate::Check) -> String {
        match &ck.name {
            Some(n) => format!(
                "CONSTRAINT {} CHECK ({})",
                self.dialect.quote(n),
                ck.expr.trim()
            ),
            None => format!("CHECK ({})", ck.expr.trim()),
        }
    }

    /// `CREATE SEQUENCE … options` and its comment (ownership comes after the tables).
    pub(crate) fn create_sequence(&self, s: &Sequence) -> Vec<String> {
        let name = self.q(s.schema.as_deref(), &s.name);
        let mut sql = format!("CREATE SEQUENCE {name}");
        for o in sequence_options(&s.options, self.dialect, true) {
            sql.push(' ');
            sql.push_str(&o);
        }
        let mut out = vec![sql];
        if s.comment.is_some() && self.dialect == Dialect::Postgres {
            out.push(self.comment_on("SEQUENCE", &name, s.comment.as_deref()));
        }
        out
    }

    /// `ALTER SEQUENCE … OWNED BY table.column|NONE`.
    pub(crate) fn sequence_owner(&self, s: &Sequence) -> String {
        let owner = match &s.owned_by {
            Some(o) => {
                let (table, column) = o.rsplit_once('.').unwrap_or((o.as_str(), ""));
                let table = if table.contains('.') {
                    quote_ref(self.dialect, table)
                } else {
                    self.q(s.schema.as_deref(), table)
                };
                format!("{table}.{}", self.dialect.quote(column))
            }
            None => "NONE".into(),
        };
        format!(
            "ALTER SEQUENCE {} OWNED BY {owner}",
            self.q(s.schema.as_deref(), &s.name)
        )
    }

    /// The name of a view in DDL.
    pub(crate) fn view_name(&self, v: &View) -> String {
        self.q(v.schema.as_deref(), &v.name)
    }

    /// `CREATE [MATERIALIZED] VIEW …`, its indexes and its comment.
    pub(crate) fn create_view(&self, v: &View) -> Result<Vec<String>, SchemaError> {
        let d = self.dialect;
        let name = self.view_name(v);
        let what = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        let body = self.text_of(&v.sql, &format!("{what} `{}`", v.name))?;
        let cols = if v.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.cols(&v.columns))
        };
        let mut s = match d {
            Dialect::Mysql | Dialect::Mariadb => {
                let mut head = "CREATE".to_string();
                for (k, label) in [("algorithm", "ALGORITHM"), ("definer", "DEFINER")] {
                    if let Some(x) = v.options.get(k) {
                        head.push_str(&format!(" {label}={x}"));
                    }
                }
                if let Some(x) = v.options.get("sql_security") {
                    head.push_str(&format!(" SQL SECURITY {}", x.to_ascii_uppercase()));
                }
                format!("{head} VIEW {name}{cols} AS {body}")
            }
            _ => {
                let mut s = format!(
                    "CREATE {}VIEW {name}{cols}",
                    if v.materialized { "MATERIALIZED " } else { "" }
                );
                if !v.options.is_empty() {
                    s.push_str(&format!(" WITH ({})", super::table::with_list(&v.options)));
                }
                format!("{s} AS {body}")
            }
        };
        if let Some(c) = &v.check_option {
            s.push_str(&format!(" WITH {} CHECK OPTION", c.to_ascii_uppercase()));
        }
        let mut out = vec![s];
        for ix in &v.indexes {
            out.push(self.create_index_on(&name, ix));
        }
        if v.comment.is_some() {
            let kind = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            out.push(self.comment_on(kind, &name, v.comment.as_deref()));
        }
        Ok(out)
    }

    /// `DROP [MATERIALIZED] VIEW …`.
    pub(crate) fn drop_view(&self, v: &View) -> String {
        format!(
            "DROP {}VIEW {}",
            if v.materialized { "MATERIALIZED " } else { "" },
            self.view_name(v)
        )
    }

    /// What a routine is called in messages and `DROP`/`COMMENT ON`: `name(arguments)`.
    pub(crate) fn routine_signature(&self, r: &Routine) -> String {
        let name = self.q(r.schema.as_deref(), &r.name);
        if self.dialect == Dialect::Postgres {
            format!("{name}({})", r.arguments)
        } else {
            name
        }
    }

    /// The routine's `CREATE` statement and its comment.
    pub(crate) fn create_routine(&self, r: &Routine) -> Result<Vec<String>, SchemaError> {
        let text = self.text_of(&r.sql, &format!("{} `{}`", r.kind, r.name))?;
        let mut out = vec![text.to_string()];
        if r.comment.is_some() && self.dialect == Dialect::Postgres {
            out.push(self.comment_on(
                &r.kind.to_ascii_uppercase(),
                &self.routine_signature(r),
                r.comment.as_deref(),
            ));
        }
        Ok(out)
    }

    /// `DROP FUNCTION|PROCEDURE …`.
    pub(crate) fn drop_routine(&self, r: &Routine) -> String {
        format!(
            "DROP {} {}",
            r.kind.to_ascii_uppercase(),
            self.routine_signature(r)
        )
    }

    fn trigger_table(&self, t: &Trigger) -> String {
        self.q(t.schema.as_deref(), &t.table)
    }

    /// The trigger's `CREATE TRIGGER` statement, then `DISABLE TRIGGER` when it is disabled.
    pub(crate) fn create_trigger(&self, t: &Trigger) -> Result<Vec<String>, SchemaError> {
        let text = self.text_of(&t.sql, &format!("trigger `{}`", t.name))?;
        let mut out = vec![text.to_string()];
        if t.disabled {
            out.push(format!(
                "ALTER TABLE {} DISABLE TRIGGER {}",
                self.trigger_table(t),
                self.dialect.quote(&t.name)
            ));
        }
        Ok(out)
    }

    /// `DROP TRIGGER …`.
    pub(crate) fn drop_trigger(&self, t: &Trigger) -> String {
        match self.dialect {
            Dialect::Postgres => format!(
                "DROP TRIGGER {} ON {}",
                self.dialect.quote(&t.name),
                self.trigger_table(t)
            ),
            _ => format!("DROP TRIGGER {}", self.q(t.schema.as_deref(), &t.name)),
        }
    }

    /// The event's `CREATE EVENT` statement.
    pub(crate) fn create_event(&self, e: &Event) -> Result<String, SchemaError> {
        Ok(self
            .text_of(&e.sql, &format!("event `{}`", e.name))?
            .to_string())
    }

    /// `CREATE VIRTUAL TABLE name USING module(arguments)`.
    pub(crate) fn create_virtual_table(&self, v: &VirtualTable) -> String {
        format!(
            "CREATE VIRTUAL TABLE {} USING {}({})",
            self.dialect.quote(&v.name),
            v.module,
            v.arguments.join(", ")
        )
    }

    fn grant_object(&self, g: &Grant) -> String {
        let d = self.dialect;
        let on = g.on.to_ascii_lowercase();
        if d.is_mysql_family() {
            return match on.as_str() {
                "database" | "schema" => format!("{}.*", d.quote(&g.object)),
                "function" | "procedure" => {
                    format!("{} {}", on.to_ascii_uppercase(), quote_ref(d, &g.object))
                }
                _ => quote_ref(d, &g.object),
            };
        }
        let kind = match on.as_str() {
            "view" => "TABLE".to_string(),
            other => other.to_ascii_uppercase(),
        };
        let object = match on.as_str() {
            "function" | "procedure" => match g.object.split_once('(') {
                Some((n, args)) => format!("{}({args}", quote_ref(d, n)),
                None => quote_ref(d, &g.object),
            },
            _ => quote_ref(d, &g.object),
        };
        format!("{kind} {object}")
    }

    fn grantee(&self, to: &str) -> String {
        if to.eq_ignore_ascii_case("public") || to.contains('@') {
            to.to_string()
        } else {
            self.dialect.quote(to)
        }
    }

    /// `GRANT … ON … TO … [WITH GRANT OPTION]` for the privileges `privs`.
    pub(crate) fn grant(&self, g: &Grant, privs: &[String]) -> String {
        format!(
            "GRANT {} ON {} TO {}{}",
            privs.join(", "),
            self.grant_object(g),
            self.grantee(&g.to),
            if g.grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }

    /// `REVOKE … ON … FROM …`.
    pub(crate) fn revoke(&self, g: &Grant, privs: &[String]) -> String {
        format!(
            "REVOKE {} ON {} FROM {}",
            privs.join(", "),
            self.grant_object(g),
            self.grantee(&g.to)
        )
    }

    /// `ENABLE/FORCE ROW LEVEL SECURITY` of `t` as wanted.
    pub(crate) fn row_security(&self, t: &Table, enable: bool, force: bool) -> Vec<String> {
        let name = t.sql_name(self.dialect);
        let mut out = Vec::new();
        if enable {
            out.push(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"));
        }
        if force {
            out.push(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"));
        }
        out
    }

    /// `CREATE POLICY … ON …`.
    pub(crate) fn create_policy(&self, t: &Table, p: &Policy) -> String {
        let d = self.dialect;
        let mut s = format!("CREATE POLICY {} ON {}", d.quote(&p.name), t.sql_name(d));
        if p.restrictive {
            s.push_str(" AS RESTRICTIVE");
        }
        s.push_str(&format!(" FOR {}", p.command.to_ascii_uppercase()));
        s.push_str(&self.policy_clauses(p));
        s
    }

    /// ` TO roles USING (…) WITH CHECK (…)` of a policy.
    pub(crate) fn policy_clauses(&self, p: &Policy) -> String {
        let mut s = String::new();
        if !p.roles.is_empty() {
            let roles: Vec<String> = p.roles.iter().map(|r| self.grantee(r)).collect();
            s.push_str(&format!(" TO {}", roles.join(", ")));
        }
        if let Some(u) = &p.using {
            s.push_str(&format!(" USING ({})", u.trim()));
        }
        if let Some(c) = &p.with_check {
            s.push_str(&format!(" WITH CHECK ({})", c.trim()));
        }
        s
    }

    /// PostgreSQL `COMMENT ON TABLE/COLUMN` of `t`.
    pub(crate) fn table_comments(&self, t: &Table) -> Vec<String> {
        if self.dialect != Dialect::Postgres {
            return Vec::new();
        }
        let name = t.sql_name(self.dialect);
        let mut out = Vec::new();
        if t.comment.is_some() {
            out.push(self.comment_on("TABLE", &name, t.comment.as_deref()));
        }
        for c in &t.columns {
            if c.comment.is_some() {
                out.push(self.comment_on(
                    "COLUMN",
                    &format!("{name}.{}", self.dialect.quote(&c.name)),
                    c.comment.as_deref(),
                ));
            }
        }
        out
    }
}
