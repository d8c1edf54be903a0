//! `CREATE TABLE` and its parts: columns (identity, generated, collation, character set,
//! invisibility), constraints (deferral, MATCH FULL, NULLS NOT DISTINCT, EXCLUDE) and indexes
//! (method, keys, INCLUDE, storage parameters, predicate), for each dialect.

use super::SchemaGenerator;
use crate::definition::{
    Check, Column, Exclude, ForeignKey, Identity, Index, IndexColumn, SequenceOptions, Table,
    Unique,
};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::names::quote_ref;
use crate::types::ColumnType;

impl SchemaGenerator {
    /// `CREATE TABLE` for `t` (already normalised), leaving out the foreign keys in `skip` and
    /// the NOT VALID constraints (added afterwards by [`Self::add_not_valid`]).
    pub(crate) fn create_table(
        &self,
        t: &Table,
        skip: &[&ForeignKey],
    ) -> Result<String, SchemaError> {
        let d = self.dialect;
        if let (Dialect::Postgres, Some(po)) = (d, &t.partition_of) {
            let mut sql = format!(
                "CREATE TABLE {} PARTITION OF {} {}",
                t.sql_name(d),
                self.parent_ref(t, &po.parent),
                po.bound.trim()
            );
            self.pg_table_suffix(t, &mut sql, false);
            return Ok(sql);
        }
        let mut items = Vec::new();
        let inline_pk = d == Dialect::Sqlite && t.columns.iter().any(|c| c.identity.is_set());
        for c in &t.columns {
            items.push(self.column_def(t, c)?);
        }
        if !t.primary_key.is_empty() && !inline_pk {
            items.push(format!("PRIMARY KEY ({})", self.cols(&t.primary_key)));
        }
        for u in &t.unique {
            items.push(self.unique(u));
        }
        for ck in t.checks.iter().filter(|c| !c.not_valid) {
            items.push(self.check(ck));
        }
        for ex in &t.excludes {
            items.push(self.exclude(ex));
        }
        for f in t.foreign_keys.iter().filter(|f| !f.not_valid) {
            if !skip.iter().any(|s| s.name == f.name) {
                items.push(self.foreign_key(t, f));
            }
        }
        let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
        let mut sql = format!("CREATE {unlogged}TABLE {} (", t.sql_name(d));
        if let (Dialect::Sqlite, Some(c)) = (d, &t.comment) {
            sql.push_str(&format!("\n  {}", super::sqlite_comment(c)));
        }
        if !items.is_empty() {
            sql.push('\n');
            sql.push_str(
                &items
                    .iter()
                    .map(|i| format!("  {i}"))
                    .collect::<Vec<_>>()
                    .join(",\n"),
            );
            sql.push('\n');
        }
        sql.push(')');
        match d {
            Dialect::Postgres => self.pg_table_suffix(t, &mut sql, true),
            Dialect::Mysql | Dialect::Mariadb => self.mysql_table_suffix(t, &mut sql),
            Dialect::Sqlite => {
                let opts: Vec<&str> = [
                    t.without_rowid.then_some("WITHOUT ROWID"),
                    t.strict.then_some("STRICT"),
                ]
                .into_iter()
                .flatten()
                .collect();
                if !opts.is_empty() {
                    sql.push(' ');
                    sql.push_str(&opts.join(", "));
                }
            }
        }
        Ok(sql)
    }

    fn parent_ref(&self, t: &Table, parent: &str) -> String {
        match (parent.contains('.'), &t.schema) {
            (false, Some(s)) => crate::names::qualified(self.dialect, Some(s), parent),
            _ => quote_ref(self.dialect, parent),
        }
    }

    fn pg_table_suffix(&self, t: &Table, sql: &mut String, inherits: bool) {
        if inherits && !t.inherits.is_empty() {
            let parents: Vec<String> = t.inherits.iter().map(|p| self.parent_ref(t, p)).collect();
            sql.push_str(&format!(" INHERITS ({})", parents.join(", ")));
        }
        if let Some(p) = &t.partition_by {
            sql.push_str(&format!(" PARTITION BY {}", p.trim()));
        }
        if !t.options.is_empty() {
            sql.push_str(&format!(" WITH ({})", with_list(&t.options)));
        }
    }

    fn mysql_table_suffix(&self, t: &Table, sql: &mut String) {
        let d = self.dialect;
        let opt = |k: &str| t.options.get(k).map(String::as_str);
        sql.push_str(&format!(" ENGINE={}", opt("engine").unwrap_or("InnoDB")));
        sql.push_str(&format!(
            " DEFAULT CHARSET={}",
            opt("charset").unwrap_or("utf8mb4")
        ));
        for (k, v) in &t.options {
            if !["engine", "charset"].contains(&k.as_str()) {
                sql.push_str(&format!(" {}", mysql_table_option(k, v)));
            }
        }
        if let Some(c) = &t.comment {
            sql.push_str(&format!(" COMMENT={}", d.literal(c)));
        }
        if let Some(p) = &t.partition_by {
            sql.push_str(&format!(" PARTITION BY {}", p.trim()));
            if !t.partitions.is_empty() {
                let parts: Vec<String> = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut s = format!("PARTITION {}", d.quote(&p.name));
                        if !p.bound.trim().is_empty() {
                            s.push(' ');
                            s.push_str(p.bound.trim());
                        }
                        s
                    })
                    .collect();
                sql.push_str(&format!(" ({})", parts.join(", ")));
            }
        }
    }

    /// One column definition (`name TYPE … NOT NULL DEFAULT …`).
    pub(crate) fn column_def(&self, t: &Table, c: &Column) -> Result<String, SchemaError> {
        let d = self.dialect;
        let mut s = format!(
            "{} {}",
            d.quote(&c.name),
            d.type_sql(&c.ty, &t.name, &c.name)?
        );
        if d == Dialect::Sqlite && c.identity.is_set() {
            return Ok(format!(
                "{} INTEGER PRIMARY KEY AUTOINCREMENT{}",
                d.quote(&c.name),
                c.comment
                    .as_deref()
                    .map(|x| format!(" {}", super::sqlite_comment(x)))
                    .unwrap_or_default()
            ));
        }
        if let Some(cs) = &c.charset {
            s.push_str(&format!(" CHARACTER SET {cs}"));
        }
        if let Some(coll) = &c.collation {
            s.push_str(&format!(" COLLATE {}", d.quote(coll)));
        }
        let generated = c.generated.as_ref().map(|g| {
            let kind = if g.stored { "STORED" } else { "VIRTUAL" };
            format!(" GENERATED ALWAYS AS ({}) {kind}", g.expr.trim())
        });
        if d != Dialect::Sqlite {
            if let Some(g) = &generated {
                s.push_str(g);
            }
        }
        match (c.identity, d) {
            (Identity::No, _) => {
                if !c.nullable {
                    s.push_str(" NOT NULL");
                } else if d.is_mysql_family() && c.ty == ColumnType::TimestampTz {
                    // MySQL TIMESTAMP columns are NOT NULL unless told otherwise on old servers.
                    s.push_str(" NULL");
                }
                if let Some(def) = &c.default {
                    let mut v = d.default_sql(c, def);
                    let needs_parens = d == Dialect::Mysql
                        && matches!(c.ty, ColumnType::Text | ColumnType::Blob | ColumnType::Json)
                        && !v.starts_with('(');
                    if needs_parens {
                        v = format!("({v})");
                    }
                    s.push_str(" DEFAULT ");
                    s.push_str(&v);
                }
            }
            (id, Dialect::Postgres) => {
                let how = if id == Identity::Always {
                    "ALWAYS"
                } else {
                    "BY DEFAULT"
                };
                s.push_str(&format!(" GENERATED {how} AS IDENTITY"));
                if let Some(o) = &c.identity_options {
                    let opts = sequence_options(o, d, false);
                    if !opts.is_empty() {
                        s.push_str(&format!(" ({})", opts.join(" ")));
                    }
                }
                if !c.nullable {
                    s.push_str(" NOT NULL");
                }
            }
            (_, _) => s.push_str(" NOT NULL AUTO_INCREMENT"),
        }
        if d == Dialect::Sqlite {
            if let Some(g) = &generated {
                s.push_str(g);
            }
        }
        if c.invisible {
            s.push_str(" INVISIBLE");
        }
        if let Some(comment) = &c.comment {
            match d {
                Dialect::Mysql | Dialect::Mariadb => {
                    s.push_str(&format!(" COMMENT {}", d.literal(comment)))
                }
                Dialect::Sqlite => {
                    s.push(' ');
                    s.push_str(&super::sqlite_comment(comment));
                }
                Dialect::Postgres => {}
            }
        }
        Ok(s)
    }

    pub(crate) fn cols(&self, cols: &[String]) -> String {
        cols.iter()
            .map(|c| self.dialect.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The keys of an index: quoted columns or parenthesised expressions, each with its
    /// prefix length, collation, operator class and ordering.
    fn index_keys(&self, keys: &[IndexColumn]) -> String {
        keys.iter()
            .map(|k| {
                let mut s = match (&k.column, &k.expr) {
                    (Some(c), _) => self.dialect.quote(c),
                    (None, Some(e)) => self.index_expression(e.trim()),
                    (None, None) => String::new(),
                };
                if let Some(n) = k.length {
                    s.push_str(&format!("({n})"));
                }
                if let Some(c) = &k.collation {
                    s.push_str(&format!(" COLLATE {}", self.dialect.quote(c)));
                }
                if let Some(o) = &k.opclass {
                    s.push_str(&format!(" {o}"));
                }
                if k.desc {
                    s.push_str(" DESC");
                }
                match k.nulls_first {
                    Some(true) => s.push_str(" NULLS FIRST"),
                    Some(false) => s.push_str(" NULLS LAST"),
                    None => {}
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// An expression key as the engine prints it back: SQLite keeps the text as written, so it
    /// goes in bare; PostgreSQL takes a function call bare and anything else in parentheses;
    /// MySQL wants every functional key part in parentheses.
    fn index_expression(&self, e: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => e.to_string(),
            Dialect::Postgres if is_function_call(e) => e.to_string(),
            _ => format!("({e})"),
        }
    }

    /// `CONSTRAINT name UNIQUE [NULLS NOT DISTINCT] (…) [DEFERRABLE …]`.
    pub(crate) fn unique(&self, u: &Unique) -> String {
        format!(
            "CONSTRAINT {} UNIQUE{} ({}){}",
            self.dialect.quote(u.name.as_deref().unwrap_or_default()),
            if u.nulls_not_distinct {
                " NULLS NOT DISTINCT"
            } else {
                ""
            },
            self.cols(&u.columns),
            u.deferrable.sql()
        )
    }

    /// `CONSTRAINT name CHECK (…)`.
    pub(crate) fn check(&self, c: &Check) -> String {
        format!(
            "CONSTRAINT {} CHECK ({})",
            self.dialect.quote(c.name.as_deref().unwrap_or_default()),
            c.expr.trim()
        )
    }

    /// `CONSTRAINT name EXCLUDE USING method (…) [WHERE (…)] [DEFERRABLE …]`.
    pub(crate) fn exclude(&self, e: &Exclude) -> String {
        let mut s = format!(
            "CONSTRAINT {} EXCLUDE USING {} ({})",
            self.dialect.quote(e.name.as_deref().unwrap_or_default()),
            e.using,
            e.elements
                .iter()
                .map(|x| x.trim())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(p) = &e.predicate {
            s.push_str(&format!(" WHERE ({})", p.trim()));
        }
        s.push_str(e.deferrable.sql());
        s
    }

    /// `CONSTRAINT name FOREIGN KEY (…) REFERENCES … [MATCH FULL] [ON …] [DEFERRABLE …]` of
    /// a foreign key of `t`.
    pub(crate) fn foreign_key(&self, t: &Table, f: &ForeignKey) -> String {
        let d = self.dialect;
        let target = crate::names::qualified(
            d,
            f.ref_schema.as_deref().or(t.schema.as_deref()),
            &f.ref_table,
        );
        let mut s = format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            d.quote(&super::fk_name(f)),
            self.cols(&f.columns),
            target,
            self.cols(&f.ref_columns)
        );
        if f.match_full {
            s.push_str(" MATCH FULL");
        }
        if f.on_delete != crate::FkAction::NoAction {
            s.push_str(&format!(" ON DELETE {}", f.on_delete.sql()));
        }
        if f.on_update != crate::FkAction::NoAction {
            s.push_str(&format!(" ON UPDATE {}", f.on_update.sql()));
        }
        s.push_str(f.deferrable.sql());
        s
    }

    /// `ALTER TABLE … ADD <constraint>`, with NOT VALID for the constraints that carry it.
    pub(crate) fn add_constraint(&self, t: &Table, constraint: &str, not_valid: bool) -> String {
        format!(
            "ALTER TABLE {} ADD {constraint}{}",
            t.sql_name(self.dialect),
            if not_valid { " NOT VALID" } else { "" }
        )
    }

    /// The NOT VALID checks and foreign keys of `t`, added after it is created.
    pub(crate) fn add_not_valid(&self, t: &Table) -> Vec<String> {
        let mut out: Vec<String> = t
            .checks
            .iter()
            .filter(|c| c.not_valid)
            .map(|c| self.add_constraint(t, &self.check(c), true))
            .collect();
        out.extend(
            t.foreign_keys
                .iter()
                .filter(|f| f.not_valid)
                .map(|f| self.add_constraint(t, &self.foreign_key(t, f), true)),
        );
        out
    }

    /// `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX …` on the table or materialized view `on`.
    pub(crate) fn create_index_on(&self, on: &str, ix: &Index) -> String {
        let d = self.dialect;
        let method = ix.method.as_deref().map(str::to_ascii_lowercase);
        let name = d.quote(ix.name.as_deref().unwrap_or_default());
        let keys = self.index_keys(&ix.columns);
        if d.is_mysql_family() {
            let kind = match method.as_deref() {
                Some("fulltext") => "FULLTEXT ",
                Some("spatial") => "SPATIAL ",
                _ if ix.unique => "UNIQUE ",
                _ => "",
            };
            let using = match method.as_deref() {
                Some(m @ ("btree" | "hash")) => format!(" USING {}", m.to_ascii_uppercase()),
                _ => String::new(),
            };
            return format!("CREATE {kind}INDEX {name}{using} ON {on} ({keys})");
        }
        let mut s = format!(
            "CREATE {}INDEX {name} ON {on}",
            if ix.unique { "UNIQUE " } else { "" }
        );
        if let Some(m) = method.filter(|m| m != "btree") {
            s.push_str(&format!(" USING {m}"));
        }
        s.push_str(&format!(" ({keys})"));
        if !ix.include.is_empty() {
            s.push_str(&format!(" INCLUDE ({})", self.cols(&ix.include)));
        }
        if ix.nulls_not_distinct {
            s.push_str(" NULLS NOT DISTINCT");
        }
        if !ix.with.is_empty() {
            s.push_str(&format!(" WITH ({})", with_list(&ix.with)));
        }
        if let Some(p) = &ix.predicate {
            s.push_str(&format!(" WHERE {}", p.trim()));
        }
        s
    }

    /// `CREATE … INDEX` on table `t`.
    pub(crate) fn create_index(&self, t: &Table, ix: &Index) -> String {
        self.create_index_on(&t.sql_name(self.dialect), ix)
    }
}

/// `k = v, …` of storage parameters.
pub(crate) fn with_list(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True for `name(…)` whose closing parenthesis ends the text: a call PostgreSQL accepts as an
/// index key without parentheses of its own.
fn is_function_call(e: &str) -> bool {
    let Some(open) = e.find('(') else {
        return false;
    };
    let name = &e[..open];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"')
    {
        return false;
    }
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in e.char_indices().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == e.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// A MySQL/MariaDB table option as `ALTER TABLE`/`CREATE TABLE` spell it: the definition's
/// `charset` and `collation` keys are the `DEFAULT CHARSET` and `COLLATE` clauses; any other
/// key is the option's own name (`ROW_FORMAT=DYNAMIC`).
pub(crate) fn mysql_table_option(key: &str, value: &str) -> String {
    match key {
        "charset" => format!("DEFAULT CHARSET={value}"),
        "collation" => format!("COLLATE={value}"),
        other => format!("{}={value}", other.to_ascii_uppercase()),
    }
}

/// The options of a sequence or identity, each as its clause (`INCREMENT BY 2`); `with_type`
/// adds `AS type` (a standalone PostgreSQL sequence).
pub(crate) fn sequence_options(o: &SequenceOptions, d: Dialect, with_type: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let (true, Some(ty)) = (with_type && d == Dialect::Postgres, &o.ty) {
        if let Ok(t) = d.type_sql(ty, "", "") {
            out.push(format!("AS {t}"));
        }
    }
    if let Some(v) = o.increment {
        out.push(format!("INCREMENT BY {v}"));
    }
    if let Some(v) = o.min_value {
        out.push(format!("MINVALUE {v}"));
    }
    if let Some(v) = o.max_value {
        out.push(format!("MAXVALUE {v}"));
    }
    if let Some(v) = o.start {
        out.push(format!("START WITH {v}"));
    }
    if let Some(v) = o.cache {
        out.push(format!("CACHE {v}"));
    }
    if o.cycle {
        out.push("CYCLE".into());
    }
    out
}
