//! Monitoring and tuning for SQLite: a snapshot of the database's statistics ([`metrics()`])
//! and advice with its evidence ([`advise()`]).
//!
//! SQLite is a library, not a server: there are no other sessions to count, no statement
//! statistics and no shared buffers. What it does have is read here: the page counts and
//! free list of the file, the write-ahead log beside it, the connection's page cache, table
//! and index sizes from the `dbstat` virtual table, and row counts from `sqlite_stat1`.
//! Everything is about the `main` database of the connection.

mod advise;
mod bloat;
mod configuration;
mod duplicates;
mod facts;
mod format;
mod metrics;
mod missing;
mod predicates;
mod proof;
mod statistics;
mod status;

pub use advise::advise;
pub use metrics::metrics;
