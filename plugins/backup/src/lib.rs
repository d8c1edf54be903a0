//! # myrmex-backup — backup strategies for every engine
//!
//! `logical`: the portable myrmex format. The manifest (written by the host) keeps the
//! engine, the server version, the schema as a definition, every table's rows and content
//! checksum, and this strategy's layout (the columns and chunk files of every table). Table
//! data is written from one consistent snapshot shared by the workers (the driver's
//! snapshot export/import), parallel by table, in zstd-compressed chunks of encoded rows
//! ([`codec`]), in bounded memory. A restore creates the tables, loads the rows with
//! multi-row inserts, then creates indexes, foreign keys, views and triggers; in one
//! transaction where the engine's DDL is transactional (PostgreSQL, SQLite), table by table
//! in parallel elsewhere (MariaDB/MySQL: a failure names the table, and a re-run with
//! `clean` completes).

pub mod codec;
mod dump;
pub mod error;
pub mod format;
mod load;
mod sql;

use myrmex_abi::ConnectionBox;
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupRequest, BackupStrategy, Host, RestoreOutcome,
    RestoreRequest,
};
use myrmex_plugin::{Config, PluginError};

/// The `logical` strategy.
pub struct Logical;

impl BackupStrategy for Logical {
    fn features(&self) -> BackupFeatures {
        BackupFeatures {
            full: true,
            incremental: false,
            online: true,
            parallel: true,
            cross_engine: true,
        }
    }

    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError> {
        Ok(dump::backup(conn, request, host)?)
    }

    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError> {
        Ok(load::restore(conn, request, host)?)
    }
}

fn open(_config: Config) -> Result<Logical, PluginError> {
    Ok(Logical)
}

myrmex_plugin::plugin! {
    backup "logical": "portable logical backup: schema definition and zstd row chunks from one consistent snapshot, parallel by table" => open,
}
