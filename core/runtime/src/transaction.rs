//! [`Transaction`] and [`Savepoint`]: scopes that roll back when dropped unless committed.

use crate::{DatabaseConnection, Result};
use std::ops::{Deref, DerefMut};

/// An open transaction. Dropping it without [`Transaction::commit`] rolls it back (an error
/// from that rollback is logged: a drop cannot return it), so an early `?` return or a panic
/// never leaves a transaction open on a pooled connection.
pub struct Transaction<'c> {
    conn: &'c mut DatabaseConnection,
    open: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn begin(conn: &'c mut DatabaseConnection) -> Result<Self> {
        conn.begin()?;
        Ok(Transaction { conn, open: true })
    }

    /// Begins the transaction a migration runs in ([`DatabaseConnection::begin_exclusive`]).
    pub fn begin_exclusive(conn: &'c mut DatabaseConnection, script: &str) -> Result<Self> {
        conn.begin_exclusive(script)?;
        Ok(Transaction { conn, open: true })
    }

    /// Commits. On error the transaction is still open and is rolled back when dropped.
    pub fn commit(mut self) -> Result<()> {
        self.conn.commit()?;
        self.open = false;
        Ok(())
    }

    /// Rolls back now, returning any error.
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.conn.rollback()
    }

    /// Opens a savepoint inside this transaction.
    pub fn savepoint(&mut self, name: &str) -> Result<Savepoint<'_>> {
        self.conn.savepoint(name)?;
        Ok(Savepoint {
            conn: self.conn,
            name: name.to_string(),
            open: true,
        })
    }
}

impl Deref for Transaction<'_> {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        self.conn
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut DatabaseConnection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open && self.conn.in_transaction() {
            if let Err(e) = self.conn.rollback() {
                tracing::warn!(connection = %self.conn.name, "rollback on drop failed: {e}");
            }
        }
    }
}

/// A savepoint inside a [`Transaction`]. Dropping it without [`Savepoint::release`] rolls
/// back to it (the transaction stays open).
pub struct Savepoint<'t> {
    conn: &'t mut DatabaseConnection,
    name: String,
    open: bool,
}

impl Savepoint<'_> {
    /// Keeps the savepoint's work in the transaction.
    pub fn release(mut self) -> Result<()> {
        self.conn.release_savepoint(&self.name)?;
        self.open = false;
        Ok(())
    }

    /// Undoes the work since the savepoint now.
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.conn.rollback_to_savepoint(&self.name)?;
        self.conn.release_savepoint(&self.name)
    }
}

impl Deref for Savepoint<'_> {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        self.conn
    }
}

impl DerefMut for Savepoint<'_> {
    fn deref_mut(&mut self) -> &mut DatabaseConnection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.open && self.conn.in_transaction() {
            let name = self.name.clone();
            if let Err(e) = self
                .conn
                .rollback_to_savepoint(&name)
                .and_then(|()| self.conn.release_savepoint(&name))
            {
                tracing::warn!(connection = %self.conn.name, "rollback to savepoint {name} on drop failed: {e}");
            }
        }
    }
}
