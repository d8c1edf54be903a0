//! Scratch databases: an empty database on the same server (`myrmex_verify_<unique>`), where
//! migrations are tried out, dropped afterwards.

use myrmex_plugin::scratch::{is_generated_suffix, unique_suffix};
use myrmex_plugin::{ConnectOptions, PluginError};

/// What every scratch database's name starts with; only such databases are dropped.
pub const PREFIX: &str = "myrmex_verify_";

/// A name no other scratch database of this server has: the process, the clock and a
/// counter for several made in the same instant.
pub fn new_name() -> String {
    format!("{PREFIX}{}", unique_suffix('_'))
}

/// The database of scratch `options`; refuses any database not made as a scratch one, so a
/// mistaken call cannot drop real data.
pub fn name_of(options: &ConnectOptions) -> Result<&str, PluginError> {
    let name = options.database.as_str();
    let generated = name
        .strip_prefix(PREFIX)
        .is_some_and(|rest| is_generated_suffix(rest, '_'));
    if generated {
        Ok(name)
    } else {
        Err(PluginError::invalid(format!(
            "`{name}` is not a scratch database (their names start with {PREFIX}): not dropped"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use myrmex_plugin::{Connection, Params};

    #[test]
    fn names_are_unique_and_only_scratch_names_drop() {
        let (a, b) = (new_name(), new_name());
        assert_ne!(a, b);
        let mut o = ConnectOptions {
            database: a.clone().into(),
            ..Default::default()
        };
        assert_eq!(name_of(&o).unwrap(), a);
        o.database = "myrmex_wt_mysql".into();
        assert!(name_of(&o).is_err());
        o.database = format!("{PREFIX}1`; DROP DATABASE x").into();
        assert!(name_of(&o).is_err());
    }

    #[test]
    fn created_reachable_and_dropped() {
        let mut c = testing::connect();
        let scratch = c.create_scratch().unwrap();
        assert!(scratch.database.starts_with(PREFIX));
        assert_eq!(scratch.host, testing::options().host);
        let mut s = testing::connect_to(&scratch);
        s.execute_batch("CREATE TABLE t (id INT)").unwrap();
        assert!(
            myrmex_plugin::all_rows(&mut s, "SELECT * FROM t", Params::none())
                .unwrap()
                .is_empty()
        );
        s.close().unwrap();
        c.drop_scratch(&scratch).unwrap();
        let gone = myrmex_plugin::all_rows(
            &mut c,
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            Params::from(&[myrmex_plugin::Value::from(scratch.database.as_str())]),
        )
        .unwrap();
        assert!(gone.is_empty());
        // Dropping twice is harmless; dropping a real database is refused.
        c.drop_scratch(&scratch).unwrap();
        assert!(c.drop_scratch(&testing::options()).is_err());
    }
}
