//! [`ConnectParams`]: what to connect to, apart from any live connection.

use crate::Secret;
use myrmex_abi::{ConnectOptions, Extension, Tuple2, Value, ValueNE};
use myrmex_plugin::url::BASE_DIR;
use std::fmt;

/// Connection parameters, built from a URL (parsed by the driver that owns its scheme) or
/// field by field. `Debug` never shows the password or secret options.
///
/// ```
/// use myrmex_core::{ConnectParams, Secret};
/// let p = ConnectParams::new("postgres")
///     .host("db.internal")
///     .port(5433)
///     .database("app")
///     .user("ann")
///     .password(Secret::new("hunter2"))
///     .option("sslmode", "require");
/// assert_eq!(p.db_type, "postgres");
/// assert!(!format!("{p:?}").contains("hunter2"));
/// ```
#[derive(Clone, Default)]
pub struct ConnectParams {
    /// The driver's name (`sqlite`, `postgres`, `mysql`, or any loaded driver's).
    pub db_type: String,
    /// Host; empty for file databases.
    pub host: String,
    /// Port; `None` for the engine default.
    pub port: Option<u16>,
    /// Database name, or the file path of a file database.
    pub database: String,
    /// User name.
    pub user: String,
    password: Secret,
    /// Further options (`sslmode`, `busy_timeout`, …), in order.
    pub options: Vec<(String, String)>,
    /// The directory relative file paths resolve against (a config file's); `None` for the
    /// working directory. Sent to the driver as the `base_dir` extension.
    pub base_dir: Option<std::path::PathBuf>,
}

impl ConnectParams {
    /// Parameters for driver `db_type`, everything else empty.
    pub fn new(db_type: impl Into<String>) -> Self {
        ConnectParams {
            db_type: db_type.into(),
            ..Default::default()
        }
    }

    /// Sets the host.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets the database (or file path).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = database.into();
        self
    }

    /// Sets the user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: Secret) -> Self {
        self.password = password;
        self
    }

    /// Appends an option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// Replaces the password in place.
    pub fn set_password(&mut self, password: Secret) {
        self.password = password;
    }

    /// The password, still wrapped.
    pub(crate) fn password_secret(&self) -> Secret {
        self.password.clone()
    }

    /// True when a password is set.
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }

    /// Parameters from what a driver parsed.
    pub fn from_options(o: &ConnectOptions) -> Self {
        ConnectParams {
            db_type: o.db_type.to_string(),
            host: o.host.to_string(),
            port: (o.port != 0).then_some(o.port),
            database: o.database.to_string(),
            user: o.user.to_string(),
            password: Secret::new(o.password.as_str()),
            options: o
                .options
                .iter()
                .map(|t| (t.0.to_string(), t.1.to_string()))
                .collect(),
            base_dir: o
                .extensions
                .iter()
                .find(|e| e.key.as_str() == BASE_DIR)
                .and_then(|e| {
                    e.value
                        .as_enum()
                        .ok()
                        .and_then(|v| v.as_text().map(Into::into))
                }),
        }
    }

    /// The parameters as a driver receives them (includes the password: never log this).
    pub(crate) fn to_options(&self) -> ConnectOptions {
        ConnectOptions {
            db_type: self.db_type.as_str().into(),
            host: self.host.as_str().into(),
            port: self.port.unwrap_or(0),
            database: self.database.as_str().into(),
            user: self.user.as_str().into(),
            password: self.password.expose().into(),
            options: self
                .options
                .iter()
                .map(|(k, v)| Tuple2(k.as_str().into(), v.as_str().into()))
                .collect(),
            extensions: self
                .base_dir
                .iter()
                .map(|d| Extension {
                    key: BASE_DIR.into(),
                    value: ValueNE::from(Value::Text(d.to_string_lossy().as_ref().into())),
                })
                .collect(),
        }
    }

    /// The options with secret values (`password`, `sslpassword`, …) shown as `***`.
    pub fn shown_options(&self) -> Vec<(&str, &str)> {
        self.options
            .iter()
            .map(|(k, v)| {
                let v = if crate::url::is_secret_option(k) {
                    "***"
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            })
            .collect()
    }
}

impl fmt::Debug for ConnectParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectParams")
            .field("db_type", &self.db_type)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("options", &self.shown_options())
            .finish()
    }
}
