//! Reading a live database back into a [`SchemaDefinition`]: the driver reads its own
//! catalog and returns the definition as a document; the host reads that document with the
//! schema crate's typed definition, which names anything it does not know.

use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::{Dialect, SchemaDefinition};

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

    /// Reads the tables of `schemas` (empty: the current one).
    pub fn schema_of(&mut self, schemas: &[String]) -> Result<SchemaDefinition> {
        let tree = self.schema_tree(schemas)?;
        myrmex_plugin::tree::from_tree(&tree).map_err(|reason| Error::SchemaDocument {
            connection: self.name.clone(),
            reason,
        })
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
