//! The `postgres` audit rule set against PostgreSQL clusters the tests create for themselves
//! (Debian's `pg_createcluster`, run as root): a weak one where every rule fires, then
//! pgaudit configured and read back through the server log, and a hardened one where no
//! rule finds anything above `info`.
//!
//! Without `pg_createcluster` the tests print SKIPPED; with `MYRMEX_REQUIRE_SERVERS=1` a
//! cluster that cannot be created or started fails them instead. Every cluster is dropped
//! when its test ends, failed or not.

use myrmex_abi::{AuditContext, ConnectionBox, RStr};
use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, LogRecord, Severity};
use myrmex_plugin::{Config, ErrorKind};
use myrmex_postgres::audit::PgAudit;
use myrmex_postgres::PgDriver;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The first port tried for a test cluster.
static NEXT_PORT: AtomicU16 = AtomicU16::new(5441);

/// True when the test servers must be there (`MYRMEX_REQUIRE_SERVERS=1`).
fn required() -> bool {
    std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() == Ok("1")
}

/// The newest PostgreSQL installed (`/usr/lib/postgresql/VERSION/bin/postgres`).
fn pg_version() -> Option<String> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("bin/postgres").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
}

/// True when `program` is on the `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs a command; its output, or what went wrong.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
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

/// A port nothing listens on, not yet handed to another cluster of this process.
fn free_port() -> u16 {
    loop {
        let port = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 5600, "no free port for a test cluster");
        let socket = format!("/var/run/postgresql/.s.PGSQL.{port}");
        if !Path::new(&socket).exists() && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
}

/// A test cluster, stopped and removed when dropped.
struct Cluster {
    version: String,
    name: String,
    port: u16,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run("pg_dropcluster", &[&self.version, &self.name, "--stop"]);
        // Anything pg_dropcluster did not know about.
        let _ = std::fs::remove_dir_all(self.config_dir());
    }
}

impl Cluster {
    /// Where Debian keeps the cluster's configuration.
    fn config_dir(&self) -> PathBuf {
        PathBuf::from(format!("/etc/postgresql/{}/{}", self.version, self.name))
    }

    /// The end of the cluster's startup log, for a failure's message.
    fn log_tail(&self) -> String {
        let log = format!(
            "/var/log/postgresql/postgresql-{}-{}.log",
            self.version, self.name
        );
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Creates cluster `myrmex_KIND_PID` with `conf` (postgresql.conf lines) and `hba` (the
    /// whole pg_hba.conf), and starts it. `None` when this machine cannot and the servers
    /// are not required (the reason is printed as SKIPPED).
    fn start(kind: &str, conf: &str, hba: &str) -> Option<Cluster> {
        let skip = |why: String| -> Option<Cluster> {
            assert!(!required(), "the {kind} test cluster: {why}");
            println!("SKIPPED: the {kind} test cluster: {why}");
            None
        };
        if !on_path("pg_createcluster") {
            return skip("pg_createcluster is not installed (Debian's postgresql-common)".into());
        }
        let Some(version) = pg_version() else {
            return skip("no PostgreSQL server is installed under /usr/lib/postgresql".into());
        };
        let name = format!("myrmex_{kind}_{}", std::process::id());
        let stale = format!("/etc/postgresql/{version}/{name}");
        if Path::new(&stale).exists() {
            let _ = run("pg_dropcluster", &[&version, &name, "--stop"]);
            let _ = std::fs::remove_dir_all(&stale);
        }
        let started = Instant::now();
        let mut errors = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let created = run(
                "pg_createcluster",
                &[
                    &version,
                    &name,
                    "--port",
                    &port.to_string(),
                    "--",
                    "--auth=trust",
                ],
            );
            if let Err(e) = created {
                errors.push(e);
                let _ = run("pg_dropcluster", &[&version, &name, "--stop"]);
                continue;
            }
            let cluster = Cluster {
                version: version.clone(),
                name: name.clone(),
                port,
            };
            // Appended to postgresql.conf (a later line wins), so that pg_dropcluster
            // removes every file the test wrote.
            let dir = cluster.config_dir();
            let written = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.join("postgresql.conf"))
                .and_then(|mut f| {
                    use std::io::Write;
                    writeln!(f, "\n# myrmex audit test\n{conf}")
                })
                .and_then(|()| std::fs::write(dir.join("pg_hba.conf"), hba));
            if let Err(e) = written {
                return skip(format!("writing its configuration: {e}"));
            }
            match run("pg_ctlcluster", &[&version, &name, "start"]) {
                Ok(_) => {
                    println!(
                        "the {kind} cluster {version}/{name} started on port {port} in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                    return Some(cluster);
                }
                Err(e) => errors.push(format!("{e}\n{}", cluster.log_tail())),
            }
        }
        skip(errors.join("\n"))
    }

    /// A connection through the driver, as the contract carries it.
    fn connect(&self, user: &str, password: &str, sslmode: &str) -> ConnectionBox {
        let driver = myrmex_plugin::driver_box(PgDriver::default());
        let credentials = if password.is_empty() {
            user.to_string()
        } else {
            format!("{user}:{password}")
        };
        let url = format!(
            "postgres://{credentials}@127.0.0.1:{}/postgres?sslmode={sslmode}",
            self.port
        );
        let options = driver
            .parse_url(RStr::from_str(&url), RStr::from_str(""))
            .into_result()
            .expect("the test URL parses");
        driver
            .connect(&options)
            .into_result()
            .unwrap_or_else(|e| panic!("connecting as {user}: {e}\n{}", self.log_tail()))
    }
}

/// Runs statements one by one on `conn`.
fn execute(conn: &mut ConnectionBox, statements: &[&str]) {
    let mut host = HostConnection::new(conn);
    for sql in statements {
        host.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The findings of the rule set through the contract, as the host would ask for them.
fn audit(conn: &mut ConnectionBox) -> Vec<Finding> {
    let rules = myrmex_plugin::audit_box(PgAudit::default());
    let context = AuditContext {
        driver: "postgres".into(),
        dialect: "postgres".into(),
        server_version: "".into(),
        url: "".into(),
        settings: "".into(),
        extensions: Default::default(),
    };
    let found = rules
        .check_connection(conn, &context)
        .into_result()
        .expect("the audit runs");
    found
        .into_iter()
        .map(|f| Finding {
            rule: f.rule.to_string(),
            severity: f.severity,
            object: f.object.to_string(),
            message: f.message.to_string(),
            remedy: f.remedy.to_string(),
            location: None,
        })
        .collect()
}

/// The rule ids among `findings`.
fn ids(findings: &[Finding]) -> BTreeSet<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// True when `rule` found something about `object`.
fn has(findings: &[Finding], rule: &str, object: &str) -> bool {
    findings
        .iter()
        .any(|f| f.rule == rule && f.object == object)
}

/// The pgaudit records of `statements` (matched by their text) the server log holds,
/// waiting for the log collector to write them (a few seconds at most).
fn wait_for(conn: &mut ConnectionBox, since: &str, statements: &[&str]) -> Vec<LogRecord> {
    let start = Instant::now();
    loop {
        let records = PgAudit::default()
            .server_log(&mut HostConnection::new(conn), since, 0)
            .expect("the server log reads");
        let all_there = statements
            .iter()
            .all(|s| records.iter().any(|r| r.statement == *s));
        if all_there || start.elapsed() > Duration::from_secs(10) {
            return records;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The weak cluster's settings.
const WEAK_CONF: &str = "\
# 198.51.100.7 is on no interface: the server warns and listens on the loopback address
# only, while its setting says more than that, which is what ssl-off reads. The trust
# rules below never reach the network.
listen_addresses = '127.0.0.1, 198.51.100.7'
ssl = off
password_encryption = md5
log_connections = off
log_disconnections = off
log_statement = 'none'
shared_preload_libraries = 'pgaudit'
logging_collector = on
log_destination = 'csvlog'
log_directory = 'log'
# A zone whose abbreviation (CET/CEST) only the server can turn into an offset.
log_timezone = 'Europe/Berlin'
";

/// The weak cluster's pg_hba.conf.
const WEAK_HBA: &str = "\
local all all trust
host all all 0.0.0.0/0 trust
host all all 10.0.0.0/8 password
host all all ::1/128 md5
";

/// The weak cluster's roles, grants, function and extensions.
const WEAK_SETUP: &[&str] = &[
    "CREATE ROLE weak_md5 LOGIN PASSWORD 'weak-md5-password'",
    "CREATE ROLE weak_admin LOGIN SUPERUSER",
    "CREATE ROLE weak_reader LOGIN",
    "GRANT pg_read_server_files TO weak_reader",
    "CREATE SCHEMA open_door",
    "GRANT CREATE ON SCHEMA open_door TO PUBLIC",
    "CREATE FUNCTION public.run_as_owner() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
    "CREATE EXTENSION dblink",
    "CREATE EXTENSION file_fdw",
];

#[test]
fn a_weak_cluster_fires_every_rule_and_pgaudit_reads_back() {
    let Some(cluster) = Cluster::start("weak", WEAK_CONF, WEAK_HBA) else {
        return;
    };
    let mut admin = cluster.connect("postgres", "", "disable");
    execute(&mut admin, WEAK_SETUP);

    // As a superuser, every check runs and every rule fires.
    let t = Instant::now();
    let found = audit(&mut admin);
    println!("weak audit: {} findings in {:?}", found.len(), t.elapsed());
    for f in &found {
        println!("  {:?} {} {}: {}", f.severity, f.rule, f.object, f.message);
    }
    let want: BTreeSet<&str> = [
        "hba-trust-network",
        "hba-trust-local",
        "hba-password-cleartext",
        "hba-md5",
        "ssl-off",
        "password-encryption",
        "md5-role-passwords",
        "superuser-login",
        "public-schema-create",
        "public-function-execute",
        "logging",
        "risky-extensions",
    ]
    .into();
    assert_eq!(ids(&found), want);
    for (rule, object) in [
        ("hba-trust-network", "pg_hba.conf line 2"),
        ("hba-trust-local", "pg_hba.conf line 1"),
        ("hba-password-cleartext", "pg_hba.conf line 3"),
        ("hba-md5", "pg_hba.conf line 4"),
        ("md5-role-passwords", "role weak_md5"),
        ("superuser-login", "role weak_admin"),
        ("public-schema-create", "schema open_door"),
        ("public-function-execute", "function run_as_owner()"),
        ("risky-extensions", "extension dblink"),
        ("risky-extensions", "extension file_fdw"),
        ("risky-extensions", "role weak_reader"),
        ("logging", "setting log_connections"),
        ("logging", "setting log_statement"),
    ] {
        assert!(has(&found, rule, object), "{rule} {object}: {found:#?}");
    }
    assert!(!has(&found, "superuser-login", "role postgres"));
    assert!(found
        .iter()
        .all(|f| !f.message.contains("weak-md5-password")));

    // A role without privileges: the checks it cannot run say so, the others still run.
    let mut plain = cluster.connect("weak_md5", "", "disable");
    let limited = audit(&mut plain);
    assert!(
        has(&limited, "hba-unreadable", "pg_hba.conf"),
        "{limited:#?}"
    );
    assert!(
        has(&limited, "check-not-run", "check md5-role-passwords"),
        "{limited:#?}"
    );
    assert!(!ids(&limited).contains("hba-trust-network"));
    assert!(ids(&limited).contains("superuser-login"));
    for f in &limited {
        if matches!(f.rule.as_str(), "hba-unreadable" | "check-not-run") {
            assert_eq!(f.severity, Severity::INFO);
            assert!(f.message.contains("weak_md5"), "{}", f.message);
        }
    }
    let e = PgAudit::default()
        .server_log(&mut HostConnection::new(&mut plain), "", 0)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::PERMISSION, "{e}");
    assert!(e.message.contains("pg_read_server_files"), "{e}");

    // pgaudit: configured through the rule set, then read back.
    let before = PgAudit::default()
        .server_log(&mut HostConnection::new(&mut admin), "", 0)
        .expect("the server log reads before pgaudit logs anything");
    assert!(before.is_empty(), "{before:#?}");
    let ran = PgAudit::default()
        .configure_server_log(
            &mut HostConnection::new(&mut admin),
            Config::new("postgres", r#"{"log": "write, ddl, role"}"#),
        )
        .expect("pgaudit is configured");
    assert_eq!(
        ran,
        [
            "ALTER SYSTEM SET pgaudit.log = 'write, ddl, role'",
            "ALTER SYSTEM SET pgaudit.log_parameter = off",
            "ALTER SYSTEM SET pgaudit.log_catalog = off",
            "SELECT pg_catalog.pg_reload_conf()",
        ]
    );
    let bad = PgAudit::default().configure_server_log(
        &mut HostConnection::new(&mut admin),
        Config::new("postgres", r#"{"log": "everything"}"#),
    );
    assert_eq!(bad.unwrap_err().kind, ErrorKind::INVALID_INPUT);

    let mut app = cluster.connect("postgres", "", "disable");
    let marker = "CREATE TABLE audit_marker (id int)";
    execute(&mut app, &[marker]);
    wait_for(&mut admin, "", &[marker]);
    let since = HostConnection::new(&mut app)
        .scalar(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', \
             'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
        )
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));

    let create = "CREATE TABLE audited (id int PRIMARY KEY, note text)";
    let insert = "INSERT INTO audited VALUES (1, 'one')";
    let multiline = "INSERT INTO audited\nVALUES (2, 'two\nlines, \"quoted\", ''single''')";
    let duplicate = "INSERT INTO audited VALUES (1, 'again')";
    let role = "CREATE ROLE audited_role";
    execute(&mut app, &[create, insert, multiline]);
    let mut host = HostConnection::new(&mut app);
    let e = host.execute(duplicate).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CONSTRAINT, "{e}");
    host.text_rows("SELECT * FROM audited").unwrap();
    host.execute(role).unwrap();

    let t = Instant::now();
    let records = wait_for(
        &mut admin,
        &since,
        &[create, insert, multiline, duplicate, role],
    );
    println!("server_log: {} records in {:?}", records.len(), t.elapsed());
    for r in &records {
        println!("  {r:?}");
    }
    let statements: Vec<&str> = records.iter().map(|r| r.statement.as_str()).collect();
    assert_eq!(statements, [create, insert, multiline, duplicate, role]);
    let classes: Vec<&str> = records.iter().map(|r| r.class.as_str()).collect();
    assert_eq!(classes, ["DDL", "WRITE", "WRITE", "WRITE", "ROLE"]);
    for r in &records {
        assert_eq!(
            (r.user.as_str(), r.database.as_str(), r.source.as_str()),
            ("postgres", "postgres", "pgaudit")
        );
        assert!(r.client.starts_with("127.0.0.1:"), "{r:?}");
        // Berlin's offset, in RFC 3339.
        assert!(
            r.time.ends_with("+01:00") || r.time.ends_with("+02:00"),
            "{r:?}"
        );
        assert!(r.time.as_str() >= "2000" && r.time.contains('T'), "{r:?}");
    }
    let outcomes: Vec<&str> = records.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes[..3], ["ok", "ok", "ok"]);
    assert!(outcomes[3].contains("23505"), "{}", outcomes[3]);
    assert_eq!(outcomes[4], "ok");

    // Without `since` the marker is there too; `limit` keeps the newest.
    let all = PgAudit::default()
        .server_log(&mut HostConnection::new(&mut admin), "", 0)
        .unwrap();
    assert_eq!(all.first().map(|r| r.statement.as_str()), Some(marker));
    let newest = PgAudit::default()
        .server_log(&mut HostConnection::new(&mut admin), "", 2)
        .unwrap();
    let newest: Vec<&str> = newest.iter().map(|r| r.statement.as_str()).collect();
    assert_eq!(newest, [duplicate, role]);
    let later = PgAudit::default()
        .server_log(
            &mut HostConnection::new(&mut admin),
            "2999-01-01T00:00:00Z",
            0,
        )
        .unwrap();
    assert!(later.is_empty());
    let e = PgAudit::default()
        .server_log(&mut HostConnection::new(&mut admin), "yesterday", 0)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{e}");

    // Through the contract as well.
    let rules = myrmex_plugin::audit_box(PgAudit::default());
    let request = myrmex_abi::AuditLogRequest {
        since: since.as_str().into(),
        limit: 1,
        extensions: Default::default(),
    };
    let last = rules
        .server_log(&mut admin, &request)
        .into_result()
        .expect("the server log reads through the contract");
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].statement.as_str(), role);
    assert_eq!(last[0].source.as_str(), "pgaudit");

    // The same records from a stderr log (Debian's log_line_prefix) once csvlog is off.
    let mut host = HostConnection::new(&mut admin);
    host.execute("ALTER SYSTEM SET log_destination = 'stderr'")
        .unwrap();
    host.scalar("SELECT pg_reload_conf()").unwrap();
    let switched = Instant::now();
    while host
        .scalar(
            "SELECT pg_current_logfile('csvlog') IS NULL \
             AND pg_current_logfile('stderr') IS NOT NULL",
        )
        .unwrap()
        .as_deref()
        != Some("true")
    {
        assert!(
            switched.elapsed() < Duration::from_secs(10),
            "the log did not switch"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let since = host
        .scalar("SELECT to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS.USOF\":00\"')")
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let tabbed = "INSERT INTO audited VALUES (3, 'via\n\tstderr')";
    let again = "INSERT INTO audited VALUES (3, 'twice')";
    execute(&mut app, &[tabbed]);
    assert!(HostConnection::new(&mut app).execute(again).is_err());
    let records = wait_for(&mut admin, &since, &[tabbed, again]);
    let statements: Vec<&str> = records.iter().map(|r| r.statement.as_str()).collect();
    assert_eq!(statements, [tabbed, again], "{records:#?}");
    assert_eq!(records[0].outcome, "ok");
    assert!(
        records[1].outcome.starts_with("ERROR: duplicate key"),
        "{:?}",
        records[1]
    );
    for r in &records {
        assert_eq!(
            (r.user.as_str(), r.database.as_str()),
            ("postgres", "postgres")
        );
        assert!(
            r.time.ends_with("+01:00") || r.time.ends_with("+02:00"),
            "{r:?}"
        );
    }
}

/// The hardened cluster's settings.
const HARDENED_CONF: &str = "\
listen_addresses = 'localhost'
ssl = on
ssl_cert_file = '/etc/ssl/certs/ssl-cert-snakeoil.pem'
ssl_key_file = '/etc/ssl/private/ssl-cert-snakeoil.key'
password_encryption = 'scram-sha-256'
log_connections = on
log_disconnections = on
log_statement = 'ddl'
";

/// The hardened cluster's pg_hba.conf.
const HARDENED_HBA: &str = "\
local all postgres peer
host all all 127.0.0.1/32 scram-sha-256
";

/// Sets the bootstrap superuser's password over the Unix socket, as the `postgres`
/// operating system user (peer authentication); the password goes through standard input.
fn set_password(cluster: &Cluster, password: &str) {
    let mut child = Command::new("runuser")
        .args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "/var/run/postgresql",
            "-p",
            &cluster.port.to_string(),
            "-d",
            "postgres",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runuser runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("psql's standard input");
        writeln!(stdin, "ALTER ROLE postgres PASSWORD '{password}';").expect("psql reads");
    }
    let out = child.wait_with_output().expect("psql ends");
    assert!(
        out.status.success(),
        "setting the password: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_hardened_cluster_finds_nothing_above_info() {
    let Some(cluster) = Cluster::start("hardened", HARDENED_CONF, HARDENED_HBA) else {
        return;
    };
    let password = format!(
        "Pw{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    set_password(&cluster, &password);
    let mut conn = cluster.connect("postgres", &password, "require");
    let ssl = HostConnection::new(&mut conn)
        .scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .unwrap();
    assert_eq!(ssl.as_deref(), Some("true"), "the session runs over TLS");

    let t = Instant::now();
    let found = audit(&mut conn);
    println!(
        "hardened audit: {} findings in {:?}",
        found.len(),
        t.elapsed()
    );
    for f in &found {
        println!("  {:?} {} {}: {}", f.severity, f.rule, f.object, f.message);
    }
    let above: Vec<&Finding> = found
        .iter()
        .filter(|f| f.severity > Severity::INFO)
        .collect();
    assert!(above.is_empty(), "{above:#?}");
    assert!(!ids(&found).contains("check-not-run"), "{found:#?}");

    // Without pgaudit loaded or a log file, the server log explains what to set.
    let rules = PgAudit::default();
    let e = rules
        .configure_server_log(
            &mut HostConnection::new(&mut conn),
            Config::new("postgres", ""),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED, "{e}");
    assert!(e.message.contains("shared_preload_libraries"), "{e}");
    assert!(
        e.message
            .contains(&format!("postgresql-{}-pgaudit", cluster.version)),
        "{e}"
    );
    let e = rules
        .server_log(&mut HostConnection::new(&mut conn), "", 0)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED, "{e}");
    assert!(e.message.contains("logging_collector = on"), "{e}");

    // The rule set's context settings reach the checks.
    let context = Context {
        settings: r#"{"allowed_superusers": ["nobody"]}"#.into(),
        ..Context::default()
    };
    assert!(rules
        .check_connection(&mut HostConnection::new(&mut conn), &context)
        .is_ok());
}
