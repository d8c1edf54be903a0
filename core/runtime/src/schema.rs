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
        let dialect = self.schema_dialect()?;
        let current = self.schema_of(&diff_request(options))?;
        let plan = myrmex_schema::diff_with(&current, want, dialect, options)?;
        self.apply_changes(&plan.changes)?;
        Ok(plan)
    }
}
