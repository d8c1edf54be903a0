//! Reading a live database back into a [`SchemaDefinition`]: the driver reads its own
//! catalog and returns the definition as a document; the host reads that document with the
//! schema crate's typed definition, which names anything it does not know.

use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::{Change, Dialect, DiffOptions, DiffPlan, SchemaDefinition};

impl DatabaseConnection {
    /// The schema generator for this connection's dialect; a dialect the generators do not
    /// know is an error naming it.
    pub fn schema_dialect(&mut self) -> Result<Dialect> {
        let info = self.dialect()?;
        info.name
            .as_str()
            .parse()
            .map_err(|source| Error::NoGenerator {
                connection: self.name.clone(),
                dialect: info.name.to_string(),
                source,
            })
    }

    /// Reads the tables of the current schema (the connection's default schema, database or
    /// file) into a [`SchemaDefinition`].
    pub fn schema(&mut self) -> Result<SchemaDefinition> {
        self.schema_of(&[])
    }

    /// Reads `schemas` (empty: the current schema or database; `*` among them: every one
    /// outside the system ones; `+grants` among them: privileges too) into a definition; what
    /// the driver met and cannot express is listed in its `unsupported`.
    pub fn schema_of(&mut self, schemas: &[String]) -> Result<SchemaDefinition> {
        let tree = self.schema_tree(schemas)?;
        myrmex_plugin::tree::from_tree(&tree).map_err(|reason| Error::SchemaDocument {
            connection: self.name.clone(),
            reason,
        })
    }
}

/// The request that reads what a diff with `options` compares: the current schema or
/// database, with its privileges when the diff compares them.
pub fn diff_request(options: &DiffOptions) -> Vec<String> {
    if options.grants {
        vec![myrmex_abi::SCHEMA_GRANTS.to_string()]
    } else {
        Vec::new()
    }
}

impl DatabaseConnection {
    /// Creates the tables of `def` in this database: the DDL of [`myrmex_schema::generate_schema`]
    /// for this connection's dialect, one statement at a time, so an error names the statement
    /// that failed. Returns the number of statements run.
    pub fn apply_schema(&mut self, def: &SchemaDefinition) -> Result<usize> {
        let dialect = self.schema_dialect()?;
        let stmts = myrmex_schema::SchemaGenerator::new(dialect).statements(def)?;
        for s in &stmts {
            self.execute(s, &[])?;
        }
        Ok(stmts.len())
    }
}

impl DatabaseConnection {
    /// Runs the statements of a diff plan in order. On an engine with transactional DDL
    /// (PostgreSQL, SQLite), consecutive statements run in one transaction each group, so a
    /// failure leaves the group undone; a statement marked `outside_transaction` (PostgreSQL
    /// `ALTER TYPE … ADD VALUE`, SQLite `PRAGMA foreign_keys`) runs on its own and is
    /// committed before the statements after it. Inside a transaction the caller opened,
    /// every statement runs in it. Returns the number of statements run.
    pub fn apply_changes(&mut self, changes: &[Change]) -> Result<usize> {
        let grouped = self.dialect()?.transactional_ddl && !self.in_transaction();
        let mut i = 0;
        while i < changes.len() {
            if !grouped || changes[i].outside_transaction {
                self.execute(&changes[i].sql, &[])?;
                i += 1;
                continue;
            }
            let end = changes[i..]
                .iter()
                .position(|c| c.outside_transaction)
                .map_or(changes.len(), |p| i + p);
            let mut tx = self.transaction()?;
            for c in &changes[i..end] {
                tx.execute(&c.sql, &[])?;
            }
            tx.commit()?;
            i = end;
        }
        Ok(changes.len())
    }

    /// Brings this database to `want`: reads its schema (what [`Self::schema`] reads), diffs
    /// with `options` and applies the statements
    /// ([`Self::apply_changes`]). Returns the plan, with what it could not migrate.
    pub fn apply_diff(
        &mut self,
        want: &SchemaDefinition,
        options: &DiffOptions,
    ) -> Result<DiffPlan> {
        let current = self.schema_of(&diff_request(options))?;
        let plan = self.diff_to(&current, want, options)?;
        self.apply_changes(&plan.changes)?;
        Ok(plan)
    }

    /// The plan from `current` (read from this database) to `want`, with `want`'s views,
    /// routines and triggers compared in the text this engine keeps
    /// ([`DatabaseConnection::engine_form`]); when that cannot be had, a notice says the
    /// code objects were compared as written.
    pub fn diff_to(
        &mut self,
        current: &SchemaDefinition,
        want: &SchemaDefinition,
        options: &DiffOptions,
    ) -> Result<DiffPlan> {
        let dialect = self.schema_dialect()?;
        let (want, notice) = self.in_engine_form(want);
        let mut plan = myrmex_schema::diff_with(current, &want, dialect, options)?;
        plan.notices.extend(notice);
        Ok(plan)
    }

    /// [`DatabaseConnection::engine_form`] of `def`, or `def` as written with the notice to
    /// give when the scratch database could not be used.
    pub fn in_engine_form(&mut self, def: &SchemaDefinition) -> (SchemaDefinition, Option<String>) {
        match self.engine_form(def) {
            Ok(Some(kept)) => (kept, None),
            Ok(None) => (def.clone(), None),
            Err(e) => (
                def.clone(),
                Some(format!(
                    "views, routines and triggers compared as written, not as the engine keeps them: \
                     the definition did not apply to a scratch database ({e})"
                )),
            ),
        }
    }

    /// `def` as this engine keeps it: created in a scratch database of the same server (then
    /// dropped) and read back, so the text of views, routines and triggers compares with
    /// what introspection reads (engines rewrite it: PostgreSQL qualifies columns, MariaDB
    /// adds its own quoting). `None` when there is nothing to rewrite (no code objects), or
    /// when `def` names other schemas or databases, which a scratch database cannot hold
    /// apart from the real ones. Privileges and the unsupported list are kept as written.
    pub fn engine_form(&mut self, def: &SchemaDefinition) -> Result<Option<SchemaDefinition>> {
        let has_code =
            !def.views.is_empty() || !def.routines.is_empty() || !def.triggers.is_empty();
        let elsewhere = !def.schemas.is_empty()
            || def.tables.iter().any(|t| t.schema.is_some())
            || def.views.iter().any(|v| v.schema.is_some());
        if !has_code || elsewhere {
            return Ok(None);
        }
        let mut bare = def.clone();
        bare.grants.clear();
        bare.unsupported.clear();
        let params = self.create_scratch()?;
        let kept = self
            .open_sibling("schema scratch", params.clone())
            .and_then(|mut scratch| {
                let read = scratch.apply_schema(&bare).and_then(|_| scratch.schema());
                let _ = scratch.close();
                read
            });
        if let Err(e) = self.drop_scratch(&params) {
            tracing::warn!(
                "could not drop the scratch database {}: {e}",
                params.database
            );
        }
        let mut kept = kept?;
        kept.grants = def.grants.clone();
        kept.unsupported = def.unsupported.clone();
        Ok(Some(kept))
    }
}
