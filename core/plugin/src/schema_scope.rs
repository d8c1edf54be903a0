//! What a schema read asks for: the names in a request's list, with the two tokens the
//! contract defines taken out ([`SCHEMA_ALL`], [`SCHEMA_GRANTS`]).

use myrmex_abi::{SCHEMA_ALL, SCHEMA_GRANTS};

/// A schema request's list, parsed.
///
/// ```
/// use myrmex_plugin::SchemaScope;
/// let scope = SchemaScope::parse(&["sales".into(), "+grants".into()]);
/// assert_eq!(scope.names, ["sales"]);
/// assert!(scope.grants && !scope.all);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaScope {
    /// The schemas (databases) named; empty for the connection's current one.
    pub names: Vec<String>,
    /// Every schema outside the system ones was asked for.
    pub all: bool,
    /// Privileges were asked for.
    pub grants: bool,
}

impl SchemaScope {
    /// Splits a request's list into names and tokens.
    pub fn parse(request: &[String]) -> Self {
        let mut scope = SchemaScope::default();
        for r in request {
            match r.as_str() {
                SCHEMA_ALL => scope.all = true,
                SCHEMA_GRANTS => scope.grants = true,
                _ => scope.names.push(r.clone()),
            }
        }
        scope
    }
}
