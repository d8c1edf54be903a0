//! Shared helpers for the end-to-end tests: build the real binary and plugins once, locate
//! them, build the out-of-tree fixture plugins, and reach the real database servers.
//!
//! `cargo test` does not build cdylibs, so [`ensure_built`] runs `cargo build` for the
//! workspace (once per test process); server tests read `MYRMEX_TEST_POSTGRES_URL` /
//! `MYRMEX_TEST_MYSQL_URL` and fail instead of skipping when `MYRMEX_REQUIRE_SERVERS=1`.

pub mod bench;
pub mod chinook;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The shared datasets folder (`../shared/datasets` from the project root).
pub fn datasets() -> PathBuf {
    workspace_root().join("../shared/datasets")
}

/// The profile directory the tests run from (`target/debug` or `target/release`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps layout")
        .to_path_buf()
}

/// The cargo target directory the tests run from.
pub fn target_dir() -> PathBuf {
    profile_dir().parent().expect("target dir").to_path_buf()
}

fn is_release() -> bool {
    profile_dir().file_name().is_some_and(|n| n == "release")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

/// Builds the `myrmex` binary, every plugin and the examples (once per process) and returns
/// the profile directory that holds them.
pub fn ensure_built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut c = cargo();
        c.args([
            "build",
            "--workspace",
            "--lib",
            "--bins",
            "--examples",
            "--quiet",
        ]);
        if is_release() {
            c.arg("--release");
        }
        let status = c.status().expect("run cargo build");
        assert!(status.success(), "cargo build of the workspace failed");
        profile_dir()
    })
}

/// Path of the `myrmex` binary (built).
pub fn myrmex_bin() -> PathBuf {
    ensure_built().join(format!("myrmex{}", std::env::consts::EXE_SUFFIX))
}

/// A `myrmex` command with a clean environment for plugin search and history.
pub fn myrmex() -> Command {
    let mut c = Command::new(myrmex_bin());
    c.env_remove("MYRMEX_PLUGIN_PATH")
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "0");
    c
}

/// A `myrmex` command for a pseudo-terminal session in `dir`: history in `dir/history`,
/// `TERM=xterm`, no extra plugin path.
pub fn pty_command(dir: &Path) -> Command {
    let mut cmd = Command::new(myrmex_bin());
    cmd.current_dir(dir)
        .env("MYRMEX_HISTORY", dir.join("history"))
        .env("TERM", "xterm")
        .env("RUST_BACKTRACE", "0")
        .env_remove("MYRMEX_PLUGIN_PATH");
    cmd
}

/// Runs `cmd` on a pseudo-terminal, as a person at a terminal would (15 s per expectation,
/// colours stripped from what is read).
pub fn spawn_pty(cmd: Command) -> rexpect::session::PtySession {
    rexpect::session::spawn_with_options(
        cmd,
        rexpect::session::Options::new()
            .timeout_ms(Some(15_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn myrmex on a pseudo-terminal")
}

/// A local server that accepts connections and never says a word; returns its port. It
/// holds every connection for the rest of the test process.
pub fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

/// File name of plugin `name` on this platform (`libmyrmex_sqlite.so`).
pub fn plugin_file(name: &str) -> String {
    format!(
        "{}myrmex_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The directory holding the out-of-tree fixture plugins (`oot_shard`, `bad_contract`,
/// `panicky`), built once per process from `tests/fixtures` with their own target dir.
pub fn fixture_plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let fixtures = workspace_root().join("tests/fixtures");
        let target = target_dir().join("fixtures");
        let status = cargo()
            .args(["build", "--quiet", "--manifest-path"])
            .arg(fixtures.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("run cargo build for fixtures");
        assert!(status.success(), "cargo build of tests/fixtures failed");
        target.join("debug")
    })
}

/// A fresh, empty directory for one test.
pub fn temp_dir(label: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = target_dir().join("test-tmp").join(format!(
        "{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    // Plugins copied here must pass the loader's permission check whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .expect("chmod temp dir");
    }
    dir
}

/// The URL of a test server from `var`, or `None` (printing that the test is skipped).
/// With `MYRMEX_REQUIRE_SERVERS=1` a missing variable fails the test instead.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "{var} is not set but MYRMEX_REQUIRE_SERVERS=1"
            );
            eprintln!("SKIPPED: {var} is not set");
            None
        }
    }
}

/// Output of a finished command as text.
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `cmd` to completion and captures its output.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn command");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A registry over the built plugins only.
pub fn registry() -> myrmex_core::plugin::Registry {
    let mut s = myrmex_core::plugin::SearchPath::new();
    s.extend([ensure_built().to_path_buf()]);
    myrmex_core::plugin::Registry::load(s)
}

/// A database created for one test on a server (dropped when this is dropped), so tests that
/// create whole schemas never collide with each other or with other runs.
pub struct ScratchDb {
    /// URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
    engine: &'static str,
}

impl ScratchDb {
    /// Creates `myrmex_<label>_<pid>_<n>` next to the database of `server_url` (`postgres`
    /// or `mysql` engine).
    pub fn create(server_url: &str, engine: &'static str, label: &str) -> ScratchDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "myrmex_{}_{}_{}",
            label.replace('-', "_"),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = myrmex_core::DatabaseConnection::from_url("admin", server_url).unwrap();
        admin.connect_with(&registry()).unwrap();
        admin
            .execute_batch(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("create scratch database {name}: {e}"));
        ScratchDb {
            url: with_database(server_url, &name),
            admin_url: server_url.to_string(),
            name,
            engine,
        }
    }

    /// A connection to the scratch database.
    pub fn connect(&self) -> myrmex_core::DatabaseConnection {
        let mut c = myrmex_core::DatabaseConnection::from_url(self.engine, &self.url).unwrap();
        c.connect_with(&registry()).unwrap();
        c
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = myrmex_core::DatabaseConnection::from_url("admin", &self.admin_url) {
            if admin.connect_with(&registry()).is_ok() {
                let sql = if self.engine == "postgres" {
                    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)
                } else {
                    format!("DROP DATABASE IF EXISTS {}", self.name)
                };
                let _ = admin.execute_batch(&sql);
            }
        }
    }
}

/// `url` with its database replaced by `db` (query string kept).
pub fn with_database(url: &str, db: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url[start..].find('?') {
        Some(q) => (&url[..start + q], &url[start + q..]),
        None => (url, ""),
    };
    let host_end = head[start..].find('/').map_or(head.len(), |i| start + i);
    format!("{}/{db}{query}", &head[..host_end])
}

/// One engine with a fresh, empty database.
pub struct Target {
    /// `sqlite`, `postgres` or `mysql`.
    pub engine: &'static str,
    /// Its URL.
    pub url: String,
    _scratch: Option<ScratchDb>,
}

impl Target {
    /// The engine's own command-line client reading SQL from stdin: `sqlite3 -bail`,
    /// `psql -v ON_ERROR_STOP=1`, `mariadb`.
    pub fn client(&self) -> Command {
        match self.engine {
            "sqlite" => {
                let mut cmd = Command::new("sqlite3");
                cmd.args(["-bail", self.url.trim_start_matches("sqlite://")]);
                cmd
            }
            "postgres" => {
                let mut cmd = Command::new("psql");
                cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url]);
                cmd
            }
            _ => {
                let mut cmd = Command::new("mariadb");
                cmd.args(mysql_client_args(&self.url));
                cmd
            }
        }
    }

    /// A connection to it.
    pub fn connect(&self) -> myrmex_core::DatabaseConnection {
        let mut c = myrmex_core::DatabaseConnection::from_url(self.engine, &self.url).unwrap();
        c.connect_with(&registry()).unwrap();
        c
    }
}

/// A fresh database on every engine: a SQLite file in a temp dir, and a scratch database on
/// each server whose variable is set (skipped with a message otherwise, failing under
/// `MYRMEX_REQUIRE_SERVERS=1`).
pub fn targets(label: &str) -> Vec<Target> {
    let dir = temp_dir(label);
    let mut out = vec![Target {
        engine: "sqlite",
        url: format!("sqlite://{}", dir.join("s.db").display()),
        _scratch: None,
    }];
    for (var, engine) in [
        ("MYRMEX_TEST_POSTGRES_URL", "postgres"),
        ("MYRMEX_TEST_MYSQL_URL", "mysql"),
    ] {
        if let Some(url) = server_url(var) {
            let s = ScratchDb::create(&url, engine, label);
            out.push(Target {
                engine,
                url: s.url.clone(),
                _scratch: Some(s),
            });
        }
    }
    out
}

/// A small deterministic generator (xorshift64*) for randomized tests.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the environment variable `var` when set, else from the clock. The seed is
    /// printed (and returned) so that a failing run can be replayed with `var=<seed>`.
    pub fn from_env(var: &str) -> (Rng, u64) {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        eprintln!("random test seed: {var}={seed}");
        (Rng(seed), seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// `mariadb`/`mysql` client arguments for a `mysql://user[:pass]@host:port/db` URL.
pub fn mysql_client_args(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.split_once('@').unwrap_or(("root", rest));
    let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
    let db = db.split('?').next().unwrap_or("");
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
    let mut args = vec![
        format!("--host={host}"),
        format!("--port={port}"),
        format!("--user={user}"),
    ];
    if !pass.is_empty() {
        args.push(format!("--password={pass}"));
    }
    args.push(db.to_string());
    args
}

/// Loads the Chinook dataset (schema and data, the engine's own script) into `t` with the
/// engine's client, leaving out the script's own DROP/CREATE DATABASE and USE/`\c` lines.
pub fn load_chinook(t: &Target) {
    let file = match t.engine {
        "sqlite" => "Chinook_Sqlite.sql",
        "postgres" => "Chinook_PostgreSql.sql",
        _ => "Chinook_MySql.sql",
    };
    let text =
        std::fs::read_to_string(datasets().join("chinook").join(file)).expect("Chinook dataset");
    let script: String = text
        .lines()
        .filter(|l| {
            let u = l.trim_start().to_ascii_uppercase();
            !(u.starts_with("DROP DATABASE")
                || u.starts_with("CREATE DATABASE")
                || u.starts_with("USE ")
                || u.starts_with("\\C "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = temp_dir("chinook-load").join(file);
    std::fs::write(&path, script).unwrap();
    let out = t
        .client()
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run its client: {e}", t.engine));
    assert!(
        out.status.success(),
        "{}: loading Chinook failed: {}",
        t.engine,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies the directory `from` to `to`, leaving out build output (`target`).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &dest);
            }
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Does what the plugin guide tells a third party to do with a template: copies
/// `template` (a folder of the repository) out of the tree as `package`, points its kit
/// dependency at this checkout, and builds it; returns a plugin directory holding only the
/// built library `libmyrmex_<lib>`.
pub fn build_template_copy(template: &str, package: &str, lib: &str) -> PathBuf {
    let copy = temp_dir(&format!("{lib}-template")).join(package);
    copy_tree(&workspace_root().join(template), &copy);

    // The template's path dependency resolves inside the repository only: a copy points it
    // at a checkout, as the guide says.
    let manifest = copy.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let in_repo = r#"myrmex-plugin = { path = "../../core/plugin" }"#;
    assert!(
        text.contains(in_repo),
        "the template names the kit as the guide says: {text}"
    );
    let kit = workspace_root().join("core/plugin");
    let text = text.replace(
        in_repo,
        &format!(
            "myrmex-plugin = {{ path = {:?} }}",
            kit.display().to_string()
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    // The fixtures' lockfile holds every dependency the templates have, so the build needs
    // no registry access; cargo drops the entries the copy does not use.
    std::fs::copy(
        workspace_root().join("tests/fixtures/Cargo.lock"),
        copy.join("Cargo.lock"),
    )
    .unwrap();

    // The fixtures' target directory, so that the dependencies compile once per checkout.
    let target = target_dir().join("fixtures");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&copy)
        .args(["build", "--quiet", "--target-dir"])
        .arg(&target)
        .status()
        .expect("run cargo build in the template copy");
    assert!(
        status.success(),
        "cargo build of the {template} copy failed"
    );

    let dir = temp_dir(&format!("{lib}-template-lib"));
    std::fs::copy(
        target.join("debug").join(plugin_file(lib)),
        dir.join(plugin_file(lib)),
    )
    .unwrap();
    dir
}
