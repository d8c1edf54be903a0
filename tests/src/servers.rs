//! Servers of a test's own, for what the shared servers cannot show: a PostgreSQL cluster
//! archiving its WAL, a MariaDB server whose files a physical backup reads. Each is started on
//! a free port, as the engine's own user (the tests run as root), and stopped and removed
//! when dropped.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when the test servers must be there (`MYRMEX_REQUIRE_SERVERS=1`).
pub fn required() -> bool {
    std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() == Ok("1")
}

/// Says why a test cannot run: a failure when the servers are required, else SKIPPED.
pub fn skip(test: &str, why: &str) {
    assert!(!required(), "{test}: {why}");
    println!("SKIPPED {test}: {why}");
}

/// True when `program` is on the `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// True when this process runs as root (what starting servers as their own user needs).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs a command; its standard output, or what went wrong.
pub fn sh(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A TCP port nothing listens on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A unique name part for this process and moment.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{nanos}", std::process::id())
}

/// A PostgreSQL cluster made with Debian's `pg_createcluster`; dropped with it.
pub struct PgCluster {
    /// The server's major version.
    pub version: String,
    /// The cluster's name.
    pub name: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl PgCluster {
    /// Creates and starts cluster `myrmex_LABEL_…` with `conf` appended to its
    /// `postgresql.conf` (a format string where `{data}` is the data directory). `None`
    /// (after saying why) when this machine cannot and the servers are not required.
    pub fn start(label: &str, conf: &str) -> Option<PgCluster> {
        let test = format!("the {label} test cluster");
        if !on_path("pg_createcluster") || !is_root() {
            skip(&test, "needs pg_createcluster (postgresql-common) and root");
            return None;
        }
        let version = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("bin/postgres").exists())
            .filter_map(|e| e.file_name().into_string().ok())
            .max_by_key(|v| v.parse::<u32>().unwrap_or(0));
        let Some(version) = version else {
            skip(&test, "no PostgreSQL server under /usr/lib/postgresql");
            return None;
        };
        let name = format!("myrmex_{label}_{}", unique());
        let port = free_port();
        let started = Instant::now();
        sh(
            "pg_createcluster",
            &[
                &version,
                &name,
                "--port",
                &port.to_string(),
                "--",
                "--auth=trust",
            ],
        )
        .unwrap_or_else(|e| panic!("{test}: {e}"));
        let cluster = PgCluster {
            version,
            name,
            port,
        };
        let conf = conf.replace("{data}", &cluster.data_dir().display().to_string());
        let file = cluster.config_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&file).expect("postgresql.conf");
        text.push_str("\n# myrmex test\nfsync = off\nsynchronous_commit = off\n");
        text.push_str(&conf);
        std::fs::write(&file, text).expect("postgresql.conf is written");
        if let Err(e) = sh("pg_ctlcluster", &[&cluster.version, &cluster.name, "start"]) {
            panic!("{test}: {e}\n{}", cluster.log_tail());
        }
        println!(
            "cluster {}/{} on port {port} in {:.1} s",
            cluster.version,
            cluster.name,
            started.elapsed().as_secs_f64()
        );
        Some(cluster)
    }

    /// Its configuration directory.
    pub fn config_dir(&self) -> PathBuf {
        PathBuf::from(format!("/etc/postgresql/{}/{}", self.version, self.name))
    }

    /// Its data directory.
    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(format!(
            "/var/lib/postgresql/{}/{}",
            self.version, self.name
        ))
    }

    /// The end of its log, for a failure's message.
    pub fn log_tail(&self) -> String {
        let log = format!(
            "/var/log/postgresql/postgresql-{}-{}.log",
            self.version, self.name
        );
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// A URL of database `db` on it.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = sh("pg_dropcluster", &[&self.version, &self.name, "--stop"]);
        let _ = std::fs::remove_dir_all(self.config_dir());
    }
}

/// A MariaDB server of the test's own under `/tmp`, run as the `mysql` user; stopped and
/// removed when dropped.
pub struct MariaServer {
    /// Its directory (data in `data/`, socket, pid file and error log beside).
    pub dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl MariaServer {
    /// Installs and starts a server with extra `mariadbd` options. `None` (after saying why)
    /// when this machine cannot and the servers are not required.
    pub fn start(label: &str, options: &[&str]) -> Option<MariaServer> {
        let test = format!("the {label} MariaDB server");
        if !on_path("mariadb-install-db")
            || !on_path("mariadbd") && !Path::new("/usr/sbin/mariadbd").exists()
            || !is_root()
        {
            skip(&test, "needs mariadb-install-db, mariadbd and root");
            return None;
        }
        let started = Instant::now();
        let dir = Path::new("/tmp").join(format!("myrmex-{label}-{}", unique()));
        std::fs::create_dir_all(&dir).expect("the server's directory");
        sh("chown", &["-R", "mysql:mysql", &dir.display().to_string()]).expect("chown");
        let data = dir.join("data");
        sh(
            "mariadb-install-db",
            &[
                "--no-defaults",
                &format!("--datadir={}", data.display()),
                "--user=mysql",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
        )
        .unwrap_or_else(|e| panic!("{test}: {e}"));
        let mut server = MariaServer {
            dir,
            port: free_port(),
            child: None,
        };
        server.child = Some(server.spawn(options));
        server.wait_ready(&test);
        println!(
            "{test} on port {} in {:.1} s",
            server.port,
            started.elapsed().as_secs_f64()
        );
        Some(server)
    }

    fn spawn(&self, options: &[&str]) -> Child {
        let mariadbd = if on_path("mariadbd") {
            PathBuf::from("mariadbd")
        } else {
            PathBuf::from("/usr/sbin/mariadbd")
        };
        Command::new(mariadbd)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", self.data_dir().display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", self.dir.join("s.sock").display()))
            .arg(format!("--pid-file={}", self.dir.join("p.pid").display()))
            .arg(format!(
                "--log-error={}",
                self.dir.join("err.log").display()
            ))
            .arg("--user=mysql")
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd starts")
    }

    fn wait_ready(&mut self, test: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = Command::new("mariadb-admin")
                .args(["--no-defaults", "-uroot", "-h127.0.0.1"])
                .arg(format!("-P{}", self.port))
                .arg("ping")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("err.log")).unwrap_or_default();
                panic!("{test} did not start: {log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Its data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A URL of database `db` on it.
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    /// Stops the server (it ends cleanly on SIGTERM).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = sh("kill", &[&c.id().to_string()]);
            let _ = c.wait();
        }
    }
}

impl Drop for MariaServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
