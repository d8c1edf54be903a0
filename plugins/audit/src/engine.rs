//! Which engine a rule set is looking at, from what the host says about the database.

use myrmex_plugin::audit::Context;
use myrmex_plugin::sql::Flavor;

/// The engine whose rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
    /// No engine named: only the rules every engine shares apply.
    Unknown,
}

impl Engine {
    /// The engine the context names (by its driver or its dialect).
    pub fn of(context: &Context) -> Self {
        Self::named(&context.driver)
            .or_else(|| Self::named(&context.dialect))
            .unwrap_or(Engine::Unknown)
    }

    /// The engine a driver or dialect name stands for.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "postgres" | "postgresql" => Some(Engine::Postgres),
            "mysql" | "mariadb" => Some(Engine::Mysql),
            "sqlite" => Some(Engine::Sqlite),
            _ => None,
        }
    }

    /// The lexer rules the engine reads SQL by.
    pub fn flavor(self) -> Flavor {
        match self {
            Engine::Postgres => Flavor::Postgres,
            Engine::Mysql => Flavor::Mysql,
            Engine::Sqlite => Flavor::Sqlite,
            Engine::Unknown => Flavor::Generic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_or_else_the_dialect_names_the_engine() {
        let mut c = Context {
            dialect: "mariadb".into(),
            ..Context::default()
        };
        assert_eq!(Engine::of(&c), Engine::Mysql);
        c.driver = "sqlite".into();
        assert_eq!(Engine::of(&c), Engine::Sqlite);
        assert_eq!(Engine::of(&Context::default()), Engine::Unknown);
        assert_eq!(Engine::Unknown.flavor(), Flavor::Generic);
    }
}
