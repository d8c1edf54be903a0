//! `myrmex.toml`: plugin directories, named connections with pools, script limits.
//!
//! ```toml
//! plugin_dirs = ["./plugins"]
//! [connections.app]
//! url = "sqlite://app.db"
//! [connections.pg]
//! url = "postgres://postgres@127.0.0.1:5432/test"
//! password_env = "PGPASSWORD"
//! pool = { max_size = 16, min_idle = 1, timeout_ms = 5000 }
//! [limits]
//! max_operations = 1000000000
//! [shell]
//! format = "csv"
//! ```
//!
//! Unknown keys and wrong types are errors naming the file, line, column and key. Relative
//! SQLite paths are resolved against the directory of the config file.
//!
//! Without `--config`, the first file found of `./myrmex.toml`, the user's
//! (`$XDG_CONFIG_HOME/myrmex/myrmex.toml`, else `~/.config/myrmex/myrmex.toml`) and the
//! system's (`/etc/myrmex/myrmex.toml`) is used. A file found in the working directory may
//! have been put there by anyone who could write to it, so its `plugin_dirs` are not trusted
//! (see [`Config::trusts_plugin_dirs`]).

use crate::{DatabaseConnection, Error, Result, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Extra plugin directories (after `--plugin-dir` and `MYRMEX_PLUGIN_PATH`).
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Named connections.
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
    /// Limits for scripts.
    #[serde(default)]
    pub limits: Limits,
    /// Defaults for `myrmex migrate`.
    #[serde(default)]
    pub migrations: MigrationsConfig,
    /// Defaults of the shell: result format, NULL marker, pager, colours.
    #[serde(default)]
    pub shell: ShellConfig,
    /// Security audit: rule sets, the statement log and the statement guard.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// Scheduled backups: `[backups.<job>]` entries for `myrmex backup schedule`.
    #[serde(default)]
    pub backups: BTreeMap<String, crate::backup::schedule::BackupJob>,
    /// Where the file was read from (set by [`Config::load`]).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// How the file was found.
    #[serde(skip)]
    pub source: ConfigSource,
}

/// How a config file was found, which decides whether it may add plugin directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named with `--config` (or read by a program from a path it chose).
    #[default]
    Explicit,
    /// `./myrmex.toml`, found in the working directory.
    WorkingDirectory,
    /// The user's config file.
    User,
    /// The system's config file.
    System,
}

/// One `[connections.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// A connection URL; or give `db_type` and the other fields.
    pub url: Option<String>,
    /// Engine, when no URL is given.
    pub db_type: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database (file path for SQLite).
    pub database: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// Driver options (`sslmode`, `busy_timeout`, …).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Pool settings.
    #[serde(default)]
    pub pool: PoolConfig,
}

impl ConnectionConfig {
    /// The separate connection keys set next to `url` (none is allowed: one would silently
    /// override the URL, or be ignored).
    pub fn split_fields_with_url(&self) -> Vec<&'static str> {
        if self.url.is_none() {
            return Vec::new();
        }
        [
            ("db_type", self.db_type.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("database", self.database.is_some()),
            ("user", self.user.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }
}

/// Pool settings of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Most connections open at once.
    pub max_size: u32,
    /// Idle connections kept open.
    pub min_idle: u32,
    /// How long to wait for a free connection, in milliseconds.
    pub timeout_ms: u64,
    /// Close connections idle longer than this (ms); none when unset.
    pub idle_timeout_ms: Option<u64>,
    /// Close connections older than this (ms); none when unset.
    pub max_lifetime_ms: Option<u64>,
    /// Ping each connection when it is taken from the pool.
    pub test_on_checkout: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: 10,
            min_idle: 0,
            timeout_ms: 30_000,
            idle_timeout_ms: Some(600_000),
            max_lifetime_ms: Some(1_800_000),
            test_on_checkout: false,
        }
    }
}

/// The `[migrations]` table: defaults for `myrmex migrate` (flags override them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationsConfig {
    /// Directory of migration files (default `migrations`, relative to the working directory).
    pub dir: Option<PathBuf>,
    /// History table name (default `myrmex_migrations`).
    pub table: Option<String>,
    /// How long to wait for another run's lock, in milliseconds (default 60000).
    pub lock_timeout_ms: Option<u64>,
}

/// The names a result format may be given in `[shell] format` (as `--format` spells them).
pub const RESULT_FORMATS: [&str; 7] = [
    "table", "aligned", "csv", "tsv", "json", "jsonl", "markdown",
];

/// The `[shell]` table: defaults of the shell's result output and of the interactive shell.
/// Command-line flags (`--format`, `--null`) override them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShellConfig {
    /// Output format of results, one of [`RESULT_FORMATS`] (default `table`).
    pub format: Option<String>,
    /// How NULL is shown in table, CSV, TSV and markdown output (default: empty).
    pub null: Option<String>,
    /// Whether the REPL pages results taller than the screen (default true).
    pub pager: Option<bool>,
    /// Whether the REPL colours SQL and Rhai as they are typed (default true; `NO_COLOR`
    /// turns colours off too).
    pub highlight: Option<bool>,
}

/// Limits applied to Rhai scripts, so a runaway script cannot hang a cron job or exhaust the
/// machine's memory or stack. Exceeding one is a script error naming the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most Rhai operations a script may run (0 = no limit).
    pub max_operations: u64,
    /// Deepest function-call nesting (at most [`Limits::MAX_CALL_LEVELS`]).
    pub max_call_levels: usize,
    /// Wall-clock limit for a script in milliseconds (0 = none); when it elapses, the running
    /// statement is cancelled through its driver and the script stops.
    pub timeout_ms: u64,
    /// Most memory the shell process may hold while a script runs, in MiB (0 = none; the
    /// default is an eighth of the machine's memory). Checked between script operations.
    pub max_memory_mb: Option<u64>,
    /// Longest string a script may build, in bytes (0 = no limit, the default: with any of
    /// the three size limits set, every change to an array is followed by a walk of it).
    pub max_string_size: usize,
    /// Most elements of one array (0 = no limit); query results count too.
    pub max_array_size: usize,
    /// Most entries of one object map (0 = no limit).
    pub max_map_size: usize,
}

impl Limits {
    /// The deepest call nesting the shell's script stack can hold.
    pub const MAX_CALL_LEVELS: usize = 10_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 1_000_000_000,
            max_call_levels: 64,
            timeout_ms: 0,
            max_memory_mb: None,
            max_string_size: 0,
            max_array_size: 0,
            max_map_size: 0,
        }
    }
}

/// The default config file name, looked for in the current directory.
pub const DEFAULT_CONFIG: &str = "myrmex.toml";

/// The system-wide config file (Unix).
pub const SYSTEM_CONFIG: &str = "/etc/myrmex/myrmex.toml";

/// The user's config file: `$XDG_CONFIG_HOME/myrmex/myrmex.toml` when that variable holds an
/// absolute path, else `$HOME/.config/myrmex/myrmex.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".config"))
        })?;
    Some(base.join("myrmex").join(DEFAULT_CONFIG))
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::parse(&text, path)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses config text; `path` is used in error messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_col(text, offset);
            let mut message = e.message().trim().to_string();
            if let Some(key) = key_at(text, offset) {
                if !message.contains(&format!("`{key}`")) {
                    message = format!("key `{key}`: {message}");
                }
            }
            Error::Config {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        })?;
        if let Some(format) = &config.shell.format {
            if !RESULT_FORMATS.contains(&format.to_ascii_lowercase().as_str()) {
                let header = text.find("[shell]").unwrap_or(0);
                let offset = key_offset(text, header, "format").unwrap_or(header);
                let (line, column) = line_col(text, offset);
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: format!(
                        "key `shell.format`: `{format}` is not a result format (one of {})",
                        RESULT_FORMATS.join(", ")
                    ),
                });
            }
        }
        for (name, c) in &config.connections {
            let problem = if c.url.is_none() && c.db_type.is_none() {
                Some(format!("connection `{name}` needs `url` or `db_type`"))
            } else if c.pool.max_size == 0 || c.pool.min_idle > c.pool.max_size {
                Some(format!(
                    "connection `{name}`: pool needs 1 <= max_size and min_idle <= max_size"
                ))
            } else {
                None
            };
            let problem = problem.map(|m| (m, None)).or_else(|| {
                c.split_fields_with_url().first().map(|key| {
                    (
                        format!(
                            "connection `{name}`: key `{key}` cannot be combined with `url` (put it in the URL, or drop `url` and give `db_type` and the separate keys)"
                        ),
                        Some(*key),
                    )
                })
            });
            if let Some((message, key)) = problem {
                // Point at the key at fault, else at the connection's table header.
                let header = text.find(&format!("connections.{name}")).unwrap_or(0);
                let offset = key
                    .and_then(|k| key_offset(text, header, k))
                    .unwrap_or(header);
                let (line, column) = line_col(text, offset);
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message,
                });
            }
        }
        Ok(config)
    }

    /// Reads the first config file that exists of `./myrmex.toml`, the user's
    /// ([`user_config_path`]) and the system's ([`SYSTEM_CONFIG`]).
    pub fn load_default() -> Result<Option<Config>> {
        let mut candidates = vec![(
            PathBuf::from(DEFAULT_CONFIG),
            ConfigSource::WorkingDirectory,
        )];
        candidates.extend(user_config_path().map(|p| (p, ConfigSource::User)));
        if cfg!(unix) {
            candidates.push((PathBuf::from(SYSTEM_CONFIG), ConfigSource::System));
        }
        Config::load_first(&candidates)
    }

    /// Reads the first of `candidates` that exists, remembering how it was found.
    fn load_first(candidates: &[(PathBuf, ConfigSource)]) -> Result<Option<Config>> {
        for (path, source) in candidates {
            if path.exists() {
                let mut config = Config::load(path)?;
                config.source = *source;
                return Ok(Some(config));
            }
        }
        Ok(None)
    }

    /// May this file add plugin directories? Not when it was found in the working directory:
    /// a library in a directory it names would run inside `myrmex` for whoever starts it
    /// there. Naming the file with `--config` trusts it.
    pub fn trusts_plugin_dirs(&self) -> bool {
        self.source != ConfigSource::WorkingDirectory
    }

    /// Plugin directories, resolved against the config file's directory (whether they are
    /// used depends on [`Config::trusts_plugin_dirs`]).
    pub fn resolved_plugin_dirs(&self) -> Vec<PathBuf> {
        self.plugin_dirs.iter().map(|d| self.resolve(d)).collect()
    }

    fn resolve(&self, p: &Path) -> PathBuf {
        match self.path.as_deref().and_then(Path::parent) {
            Some(base) if p.is_relative() && !base.as_os_str().is_empty() => base.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// Builds the connection named `name` (not yet connected), reading its secret from the
    /// environment; a URL is parsed by the process-wide registry's driver.
    pub fn connection(&self, name: &str) -> Result<DatabaseConnection> {
        self.connection_with(name, &crate::plugin::Registry::global())
    }

    /// As [`Config::connection`], with the drivers of `registry` parsing the URL.
    pub fn connection_with(
        &self,
        name: &str,
        registry: &crate::plugin::Registry,
    ) -> Result<DatabaseConnection> {
        let c = self
            .connections
            .get(name)
            .ok_or_else(|| Error::UnknownConnection {
                name: name.to_string(),
                known: self
                    .connections
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        // Relative file paths (a SQLite database, say) resolve against the directory of
        // this file; the driver applies that to whatever in its parameters is a path.
        let base_dir = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .filter(|b| !b.as_os_str().is_empty())
            .map(Path::to_path_buf);
        let mut params = match &c.url {
            Some(url) => {
                let options =
                    registry.parse_url(url, base_dir.as_deref().unwrap_or(Path::new("")))?;
                crate::ConnectParams::from_options(&options)
            }
            None => {
                let mut p = crate::ConnectParams::new(c.db_type.clone().unwrap_or_default())
                    .host(c.host.clone().unwrap_or_default())
                    .database(c.database.clone().unwrap_or_default())
                    .user(c.user.clone().unwrap_or_default());
                p.port = c.port;
                p
            }
        };
        params
            .options
            .extend(c.options.iter().map(|(k, v)| (k.clone(), v.clone())));
        params.base_dir = base_dir;
        if let Some(var) = &c.password_env {
            let secret = std::env::var(var).map_err(|_| Error::MissingSecret {
                connection: name.to_string(),
                var: var.clone(),
            })?;
            params.set_password(Secret::new(secret));
        }
        let conn = DatabaseConnection::new(name, params);
        Ok(conn)
    }
}

/// Where `key = …` is written in the table that starts at `from` (the first such line before
/// the next `[table]` header; keys of an inline table on the header's line count too).
fn key_offset(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut pos = text[..from.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    for (n, line) in text[pos..].split_inclusive('\n').enumerate() {
        if n > 0 && line.trim_start().starts_with('[') {
            return None;
        }
        let mut search = 0;
        while let Some(i) = line[search..].find(key) {
            let at = search + i;
            let before = line[..at].trim_end();
            let after = line[at + key.len()..].trim_start().trim_start_matches('"');
            let starts_key = before.is_empty() || before.ends_with([',', '{', '"']);
            if starts_key && after.trim_start().starts_with('=') {
                return Some(pos + at);
            }
            search = at + key.len();
        }
        pos += line.len();
    }
    None
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The dotted key whose value sits at `offset`: the last `[table]` header before it plus the
/// key written before the nearest `=` on its line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let upto = &text[line_start..offset];
    let key_part = if upto.contains('=') { upto } else { line };
    let eq = key_part.rfind('=')?;
    let key = key_part[..eq]
        .rsplit([',', '{'])
        .next()?
        .trim()
        .trim_matches('"')
        .to_string();
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|h| h.trim_matches(['[', ']']).trim().to_string());
    let inline = line[..eq.min(line.len())]
        .split_once('=')
        .filter(|_| line.contains('{'))
        .map(|(outer, _)| outer.trim().to_string());
    let mut parts: Vec<String> = header.into_iter().collect();
    if let Some(o) = inline.filter(|o| *o != key) {
        parts.push(o);
    }
    parts.push(key);
    Some(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("my.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_the_spec_example() {
        let c = Config::parse(
            "plugin_dirs = [\"./plugins\"]\n[connections.app]\nurl = \"filedb://app.db\"\n[connections.pg]\nurl = \"srv://admin@127.0.0.1:5432/test\"\npassword_env = \"PGPASSWORD\"\npool = { max_size = 16, min_idle = 1, timeout_ms = 5000 }\n",
            Path::new("myrmex.toml"),
        )
        .unwrap();
        assert_eq!(c.connections["pg"].pool.max_size, 16);
        assert_eq!(c.connections["pg"].pool.min_idle, 1);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = err("[connections.app]\nurl = \"filedb://a.db\"\npasword_env = \"X\"\n");
        assert!(e.starts_with("my.toml:3:"), "{e}");
        assert!(e.contains("pasword_env"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = err("[connections.pg]\nurl = \"srv://h/d\"\npool = { max_size = \"many\" }\n");
        assert!(e.starts_with("my.toml:3:"), "{e}");
        assert!(e.contains("max_size"), "{e}");
    }

    #[test]
    fn connection_needs_url_or_type() {
        let e = err("[connections.x]\nhost = \"h\"\n");
        assert!(e.contains("connection `x` needs `url` or `db_type`"), "{e}");
    }

    #[test]
    fn the_first_existing_file_is_used_and_only_a_found_one_in_the_working_directory_is_untrusted()
    {
        let dir = std::env::temp_dir().join(format!("myrmex-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (here, user) = (dir.join("here.toml"), dir.join("user.toml"));
        std::fs::write(&user, "plugin_dirs = [\"p\"]\n").unwrap();
        let candidates = [
            (here.clone(), ConfigSource::WorkingDirectory),
            (user.clone(), ConfigSource::User),
        ];
        let c = Config::load_first(&candidates).unwrap().unwrap();
        assert_eq!(c.source, ConfigSource::User);
        assert!(c.trusts_plugin_dirs());
        assert_eq!(c.resolved_plugin_dirs(), [dir.join("p")]);
        std::fs::write(&here, "plugin_dirs = [\".\"]\n").unwrap();
        let c = Config::load_first(&candidates).unwrap().unwrap();
        assert_eq!(c.path.as_deref(), Some(here.as_path()));
        assert!(!c.trusts_plugin_dirs());
        assert!(
            Config::load(&here).unwrap().trusts_plugin_dirs(),
            "named explicitly"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn url_with_split_fields_names_file_line_and_key() {
        let e = err("[connections.a]\nurl = \"filedb://a.db\"\n[connections.pg]\nurl = \"srv://u@h/d\"\n\nport = 5433\n");
        assert!(e.starts_with("my.toml:6:1:"), "{e}");
        assert!(
            e.contains("connection `pg`: key `port` cannot be combined with `url`"),
            "{e}"
        );
        let e = err("[connections]\npg = { url = \"srv://u@h/d\", database = \"x\" }\n");
        assert!(e.contains("key `database`"), "{e}");
        assert!(e.starts_with("my.toml:2:"), "{e}");
        for key in ["db_type = \"other\"", "host = \"h2\"", "user = \"v\""] {
            let e = err(&format!("[connections.pg]\nurl = \"srv://u@h/d\"\n{key}\n"));
            assert!(e.starts_with("my.toml:3:1:"), "{e}");
        }
        // password_env and options go with a URL.
        Config::parse(
            "[connections.pg]\nurl = \"srv://u@h/d\"\npassword_env = \"X\"\noptions = { sslmode = \"disable\" }\n",
            Path::new("my.toml"),
        )
        .unwrap();
    }

    #[test]
    fn shell_table_is_read_and_checked() {
        let c = Config::parse(
            "[shell]\nformat = \"csv\"\nnull = \"(null)\"\npager = false\nhighlight = false\n",
            Path::new("my.toml"),
        )
        .unwrap();
        assert_eq!(
            c.shell,
            ShellConfig {
                format: Some("csv".into()),
                null: Some("(null)".into()),
                pager: Some(false),
                highlight: Some(false),
            }
        );
        assert_eq!(
            err("[shell]\npager = true\nformat = \"xml\"\n"),
            "my.toml:3:1: key `shell.format`: `xml` is not a result format (one of table, aligned, csv, tsv, json, jsonl, markdown)"
        );
        let e = err("[shell]\ncolour = true\n");
        assert!(
            e.starts_with("my.toml:2:1: ") && e.contains("colour"),
            "{e}"
        );
    }

    #[test]
    fn missing_secret_is_named() {
        // Given field by field: no driver is needed to build it.
        let c = Config::parse("[connections.pg]\ndb_type = \"srv\"\nhost = \"h\"\npassword_env = \"MYRMEX_TEST_UNSET_VAR\"\n", Path::new("m.toml")).unwrap();
        let e = c.connection("pg").unwrap_err().to_string();
        assert!(e.contains("MYRMEX_TEST_UNSET_VAR"), "{e}");
    }
}
