//! [`DatabaseManager`]: named connections, each a pool (r2d2).

use crate::config::{Config, PoolConfig};
use crate::plugin::Registry;
use crate::ConnectParams;
use crate::{DatabaseConnection, Error, Result, ResultSet};
use myrmex_abi::{ExecResult, Value};
use scheduled_thread_pool::ScheduledThreadPool;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Opens pool connections through a driver plugin.
#[derive(Debug)]
pub struct PluginConnector {
    name: String,
    options: ConnectParams,
    registry: Arc<Registry>,
}

impl r2d2::ManageConnection for PluginConnector {
    type Connection = DatabaseConnection;
    type Error = Error;

    fn connect(&self) -> Result<DatabaseConnection> {
        let mut c = DatabaseConnection::new(self.name.as_str(), self.options.clone());
        c.connect_with(&self.registry)?;
        Ok(c)
    }

    fn is_valid(&self, conn: &mut DatabaseConnection) -> Result<()> {
        conn.ping()
    }

    fn has_broken(&self, conn: &mut DatabaseConnection) -> bool {
        conn.is_broken()
    }
}

#[derive(Debug, Default)]
struct Counters {
    checkouts: AtomicU64,
    waits: AtomicU64,
    timeouts: AtomicU64,
}

/// Counts a pool's checkouts, waits and timeouts, for its own statistics and for the
/// process's client metrics (by pool name).
#[derive(Debug)]
struct CountEvents(Arc<Counters>, String);

impl r2d2::HandleEvent for CountEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        self.0.checkouts.fetch_add(1, Ordering::Relaxed);
        let waited = event.duration() > Duration::from_millis(1);
        if waited {
            self.0.waits.fetch_add(1, Ordering::Relaxed);
        }
        crate::monitor::pool_event(&self.1, event.duration(), waited, false);
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        self.0.timeouts.fetch_add(1, Ordering::Relaxed);
        crate::monitor::pool_event(&self.1, event.timeout(), true, true);
    }
}

/// Statistics of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open (idle + in use).
    pub size: u32,
    /// Idle connections.
    pub idle: u32,
    /// Connections handed out.
    pub in_use: u32,
    /// Configured maximum.
    pub max_size: u32,
    /// Successful checkouts.
    pub checkouts: u64,
    /// Checkouts that had to wait more than 1 ms.
    pub waits: u64,
    /// Checkouts that timed out.
    pub timeouts: u64,
}

/// Health of one named connection.
#[derive(Debug, Clone)]
pub struct Health {
    /// Connection name.
    pub name: String,
    /// Reachable and answering.
    pub ok: bool,
    /// Round trip of the check.
    pub latency: Duration,
    /// Engine and version, when reachable.
    pub server: Option<String>,
    /// The error, when not.
    pub error: Option<String>,
}

struct Entry {
    options: ConnectParams,
    config: PoolConfig,
    pool: OnceLock<r2d2::Pool<PluginConnector>>,
    counters: Arc<Counters>,
}

/// A connection borrowed from a pool; returns to it when dropped.
pub type PooledConnection = r2d2::PooledConnection<PluginConnector>;

/// A pending borrow from one pool (see [`DatabaseManager::checkout`]).
pub struct Checkout {
    pool: r2d2::Pool<PluginConnector>,
    probe: PluginConnector,
}

impl Checkout {
    /// An idle connection of the pool, if one is ready now (no waiting, no connecting).
    pub fn ready(&self) -> Option<PooledConnection> {
        self.pool.try_get()
    }

    /// Borrows the connection: see [`DatabaseManager::get`].
    pub fn get(self) -> Result<PooledConnection> {
        let (pool, name) = (&self.pool, &self.probe.name);
        if pool.state().connections == 0 {
            if let Err(err) = r2d2::ManageConnection::connect(&self.probe) {
                // The driver classifies its engine's errors: wrong credentials, no such
                // database or a bad option will not heal by waiting.
                let permanent = err.plugin_error().is_some_and(|p| p.kind.is_permanent())
                    || matches!(err, Error::NoDriver { .. } | Error::Url { .. });
                if permanent {
                    return Err(err);
                }
            }
        }
        let started = Instant::now();
        pool.get().map_err(|e| {
            // r2d2 reports the last connection error, if any, in its message.
            let detail = e.to_string();
            let state = pool.state();
            Error::PoolTimeout {
                pool: name.to_string(),
                waited: started.elapsed(),
                in_use: state.connections.saturating_sub(state.idle_connections),
                max_size: pool.max_size(),
                detail: (!detail.is_empty()).then_some(detail),
            }
        })
    }
}

/// Named connections, each backed by a pool that is created on first use.
pub struct DatabaseManager {
    registry: Arc<Registry>,
    entries: BTreeMap<String, Entry>,
    threads: OnceLock<Arc<ScheduledThreadPool>>,
}

impl std::fmt::Debug for DatabaseManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseManager")
            .field("names", &self.names())
            .finish()
    }
}

impl Default for DatabaseManager {
    fn default() -> Self {
        Self::new()
    }
}

impl DatabaseManager {
    /// An empty manager using the process-wide plugin registry.
    pub fn new() -> Self {
        Self::with_registry(Registry::global())
    }

    /// An empty manager using `registry`.
    pub fn with_registry(registry: Arc<Registry>) -> Self {
        DatabaseManager {
            registry,
            entries: BTreeMap::new(),
            threads: OnceLock::new(),
        }
    }

    /// A manager holding every connection of `config`.
    pub fn from_config(config: &Config, registry: Arc<Registry>) -> Result<Self> {
        let mut m = Self::with_registry(registry.clone());
        for (name, c) in &config.connections {
            m.add_with_pool(config.connection_with(name, &registry)?, c.pool);
        }
        Ok(m)
    }

    /// Adds (or replaces) a connection under its name, with the default pool settings.
    /// Only its parameters are kept: the pool opens its own connections.
    pub fn add_connection(&mut self, conn: DatabaseConnection) {
        self.add_with_pool(conn, PoolConfig::default());
    }

    /// Adds (or replaces) a connection with explicit pool settings.
    pub fn add_with_pool(&mut self, conn: DatabaseConnection, config: PoolConfig) {
        self.entries.insert(
            conn.name.clone(),
            Entry {
                options: conn.params().clone(),
                config,
                pool: OnceLock::new(),
                counters: Arc::default(),
            },
        );
    }

    /// Removes a connection; its pool closes when the last borrowed connection returns.
    pub fn remove(&mut self, name: &str) -> bool {
        self.entries.remove(name).is_some()
    }

    /// Connection names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// A new, unconnected connection with the parameters of `name` (outside the pool).
    pub fn connection_config(&self, name: &str) -> Result<DatabaseConnection> {
        self.entry(name)
            .map(|e| DatabaseConnection::new(name, e.options.clone()))
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        self.entries
            .get(name)
            .ok_or_else(|| Error::UnknownConnection {
                name: name.to_string(),
                known: if self.entries.is_empty() {
                    "none".into()
                } else {
                    self.names().join(", ")
                },
            })
    }

    fn pool(&self, name: &str) -> Result<&r2d2::Pool<PluginConnector>> {
        let e = self.entry(name)?;
        if let Some(p) = e.pool.get() {
            return Ok(p);
        }
        let threads = self
            .threads
            .get_or_init(|| {
                Arc::new(
                    ScheduledThreadPool::builder()
                        .num_threads(2)
                        .thread_name_pattern("myrmex-pool-{}")
                        .build(),
                )
            })
            .clone();
        let c = e.config;
        let pool = r2d2::Pool::builder()
            .max_size(c.max_size)
            .min_idle(Some(c.min_idle))
            .connection_timeout(Duration::from_millis(c.timeout_ms.max(1)))
            .idle_timeout(c.idle_timeout_ms.map(Duration::from_millis))
            .max_lifetime(c.max_lifetime_ms.map(Duration::from_millis))
            .test_on_check_out(c.test_on_checkout)
            .thread_pool(threads)
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .event_handler(Box::new(CountEvents(e.counters.clone(), name.to_string())))
            .build_unchecked(PluginConnector {
                name: name.to_string(),
                options: e.options.clone(),
                registry: self.registry.clone(),
            });
        Ok(e.pool.get_or_init(|| pool))
    }

    /// Borrows a connection from the pool `name`, waiting up to its `timeout_ms`.
    ///
    /// While the pool holds no connection at all, one direct attempt comes first, so that a
    /// permanent failure (wrong password, unknown database, bad option) is reported at once
    /// instead of after the pool's timeout of retries.
    pub fn get(&self, name: &str) -> Result<PooledConnection> {
        self.checkout(name)?.get()
    }

    /// What [`DatabaseManager::get`] needs, detached from the manager so that the (possibly
    /// slow) checkout can run on another thread, which a caller may abandon.
    pub fn checkout(&self, name: &str) -> Result<Checkout> {
        let pool = self.pool(name)?.clone();
        let e = self.entry(name)?;
        Ok(Checkout {
            pool,
            probe: PluginConnector {
                name: name.to_string(),
                options: e.options.clone(),
                registry: self.registry.clone(),
            },
        })
    }

    /// Runs a query on a pooled connection and reads every row.
    pub fn execute_query(&self, name: &str, sql: &str, params: &[Value]) -> Result<ResultSet> {
        self.get(name)?.execute_query(sql, params)
    }

    /// Runs a statement on a pooled connection.
    pub fn execute(&self, name: &str, sql: &str, params: &[Value]) -> Result<ExecResult> {
        self.get(name)?.execute(sql, params)
    }

    /// Statistics of the pool `name` (all zero before first use).
    pub fn pool_stats(&self, name: &str) -> Result<PoolStats> {
        let e = self.entry(name)?;
        let (size, idle) = e
            .pool
            .get()
            .map(|p| (p.state().connections, p.state().idle_connections))
            .unwrap_or((0, 0));
        Ok(PoolStats {
            size,
            idle,
            in_use: size - idle,
            max_size: e.config.max_size,
            checkouts: e.counters.checkouts.load(Ordering::Relaxed),
            waits: e.counters.waits.load(Ordering::Relaxed),
            timeouts: e.counters.timeouts.load(Ordering::Relaxed),
        })
    }

    /// Checks every connection: borrow, ping, ask the server version.
    pub fn health_check(&self) -> Vec<Health> {
        self.entries
            .keys()
            .map(|name| {
                let started = Instant::now();
                let result = self.get(name).and_then(|mut c| {
                    c.ping()?;
                    c.server_info()
                });
                let latency = started.elapsed();
                match result {
                    Ok(info) => Health {
                        name: name.clone(),
                        ok: true,
                        latency,
                        server: Some(format!("{} {}", info.engine, info.version)),
                        error: None,
                    },
                    Err(e) => Health {
                        name: name.clone(),
                        ok: false,
                        latency,
                        server: None,
                        error: Some(e.to_string()),
                    },
                }
            })
            .collect()
    }
}

/// Loads a config file and returns a manager over its connections (the seed's entry point).
/// Plugins come from the process-wide registry.
pub fn manage_databases(config_path: impl AsRef<Path>) -> Result<DatabaseManager> {
    let config = Config::load(config_path.as_ref())?;
    DatabaseManager::from_config(&config, Registry::global())
}
