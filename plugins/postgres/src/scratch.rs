//! Scratch databases: a new empty database on the same server, reached with the same
//! parameters, dropped when its work is done (`migrate verify` runs there).

use crate::conn::PgConnection;
use myrmex_plugin::scratch::{is_generated_suffix, unique_suffix};
use myrmex_plugin::{sql, ConnectOptions, Connection, PluginError};

impl PgConnection {
    /// Creates `<scratch_prefix><pid>_<nanos>_<n>` and returns how to reach it.
    pub(crate) fn new_scratch(&mut self) -> Result<ConnectOptions, PluginError> {
        let name = format!("{}{}", self.settings.scratch_prefix, unique_suffix('_'));
        self.execute_batch(&format!("CREATE DATABASE {}", sql::quote_ident(&name, '"')))?;
        let mut options = self.options.clone();
        options.database = name.into();
        Ok(options)
    }

    /// Drops a scratch database of this server, closing any session still in it where the
    /// server can (PostgreSQL 13+ `WITH (FORCE)`). Only databases named with the scratch
    /// prefix are dropped: anything else is refused, never touched.
    pub(crate) fn remove_scratch(&mut self, scratch: &ConnectOptions) -> Result<(), PluginError> {
        let name = scratch.database.as_str();
        let suffix = name.strip_prefix(self.settings.scratch_prefix.as_str());
        if !suffix.is_some_and(|s| is_generated_suffix(s, '_')) {
            return Err(PluginError::invalid(format!(
                "`{name}` is not a scratch database (not `{}<pid>_<nanos>_<n>` as made here): not dropped",
                self.settings.scratch_prefix
            )));
        }
        if scratch.host != self.options.host || scratch.port != self.options.port {
            return Err(PluginError::invalid(format!(
                "the scratch database `{name}` is on another server than this connection: not dropped"
            )));
        }
        if name == self.options.database.as_str() {
            return Err(PluginError::invalid(format!(
                "`{name}` is this connection's own database: drop it from another connection"
            )));
        }
        let force = if self.server_version()? >= 130_000 {
            " WITH (FORCE)"
        } else {
            ""
        };
        self.execute_batch(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            sql::quote_ident(name, '"')
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;
    use myrmex_plugin::{all_rows, Connection, Driver, ErrorKind, Params, Value};

    #[test]
    fn a_scratch_database_is_created_reachable_and_dropped() {
        let mut owner = testing::connect();
        let options = owner.create_scratch().unwrap();
        let name = options.database.to_string();
        assert!(name.starts_with(testing::SCRATCH_PREFIX), "{name}");
        let mut inside = testing::driver().connect(&options).unwrap();
        let here = all_rows(&mut inside, "SELECT current_database()", Params::none()).unwrap();
        assert_eq!(here, vec![vec![Value::from(name.as_str())]]);
        // A session still open in it does not stop the drop.
        owner.drop_scratch(&options).unwrap();
        let left = all_rows(
            &mut owner,
            "SELECT count(*)::int8 FROM pg_database WHERE datname = $1",
            Params::from(&[Value::from(name.as_str())]),
        )
        .unwrap();
        assert_eq!(left, vec![vec![Value::Int(0)]]);
    }

    #[test]
    fn only_scratch_databases_are_dropped() {
        let mut owner = testing::connect();
        let mut other = owner.options.clone();
        other.database = "myrmex_wt_postgres".into();
        let e = owner.drop_scratch(&other).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        other.database = testing::SCRATCH_PREFIX.into();
        assert!(owner.drop_scratch(&other).is_err());
    }
}
