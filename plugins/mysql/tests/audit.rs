//! The `mysql` audit rule set against MariaDB servers of its own, started for each test
//! (`mariadb-install-db` then `mariadbd` on a free port, under `/tmp`):
//!
//! * a weak server (anonymous accounts, `root@'%'` without a password, an account on
//!   `mysql_old_password`, `local_infile` ON, no `secure_file_priv`, no TLS, the `test`
//!   database): every configuration rule fires; an account that may not read the grant tables
//!   gets `insufficient-privilege` findings instead; server_audit is installed and switched on
//!   through the rule set and the statements run are read back with `since` and `limit`;
//! * a hardened server (no anonymous account, root on localhost only with a password,
//!   `local_infile` OFF, `secure_file_priv` a directory, TLS with a certificate made here by
//!   the `openssl` command and `require_secure_transport` ON), reached over verified TLS: no
//!   finding above `info`; the log is readable only once it lies inside `secure_file_priv`.
//!
//! The servers are stopped and their directories removed when a test ends, failed or not.
//! Without `mariadb-install-db` the tests print SKIPPED, unless `MYRMEX_REQUIRE_SERVERS=1`,
//! where that and any server that does not start are failures.

use myrmex_abi::{ConnectionBox, RStr};
use myrmex_mysql::audit::MysqlAudit;
use myrmex_mysql::{MysqlConnection, MysqlDriver};
use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, LogRecord, Severity};
use myrmex_plugin::{Config, Connection, Driver, ErrorKind};
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when a server that cannot start must fail the test.
fn required() -> bool {
    std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() == Ok("1")
}

/// The path of `program` on `PATH` or in the system directories.
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file());
    found
}

/// Runs `cmd`, failing the test with its output when it fails.
fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A MariaDB server of the test's own. Dropping it stops the server and removes its
/// directory.
struct Server {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Server {
    /// Installs and starts a server: `install` are extra `mariadb-install-db` options, `tz`
    /// the server process's time zone, `args` makes extra `mariadbd` options (and any file
    /// they name) once the server's directory exists. `None` (after printing SKIPPED) when
    /// this machine cannot run one and servers are not required.
    fn start(
        name: &str,
        install: &[&str],
        tz: &str,
        args: impl FnOnce(&Server) -> Vec<String>,
    ) -> Option<Server> {
        let started = Instant::now();
        let tools = (find_program("mariadb-install-db"), find_program("mariadbd"));
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let (Some(install_db), Some(mariadbd)) = tools else {
            assert!(
                !required(),
                "mariadb-install-db or mariadbd is missing but MYRMEX_REQUIRE_SERVERS=1"
            );
            println!("SKIPPED: mariadb-install-db or mariadbd is not installed");
            return None;
        };
        if !root {
            assert!(
                !required(),
                "the audit tests start servers as the mysql user and must run as root \
                 (MYRMEX_REQUIRE_SERVERS=1)"
            );
            println!("SKIPPED: starting a MariaDB server of its own needs root");
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        // Under /tmp whatever TMPDIR says: the server's own account must reach it.
        let dir = Path::new("/tmp").join(format!(
            "myrmex-audit-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(dir.join("files")).expect("create the server's directory");
        let mut server = Server {
            dir,
            port: free_port(),
            child: None,
        };
        let args = args(&server);
        run(Command::new("chown")
            .args(["-R", "mysql:mysql"])
            .arg(&server.dir));
        let data = server.dir.join("data");
        run(Command::new(&install_db)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--user=mysql", "--auth-root-authentication-method=normal"])
            .args(install));
        let child = Command::new(&mariadbd)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={}", server.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", server.socket().display()))
            .arg(format!("--pid-file={}", server.dir.join("p.pid").display()))
            .arg(format!(
                "--log-error={}",
                server.dir.join("err.log").display()
            ))
            .arg("--user=mysql")
            .args(&args)
            .env("TZ", tz)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", mariadbd.display()));
        server.child = Some(child);
        server.wait_ready();
        println!(
            "server {name} ready on port {} in {:.1} s",
            server.port,
            started.elapsed().as_secs_f64()
        );
        Some(server)
    }

    /// The server's Unix socket.
    fn socket(&self) -> PathBuf {
        self.dir.join("s.sock")
    }

    /// A TLS authority and a server certificate it signs, for 127.0.0.1 and localhost, made
    /// with the `openssl` command in `tls/`.
    fn prepare_tls(&self) {
        let tls = self.dir.join("tls");
        std::fs::create_dir_all(&tls).expect("create tls/");
        let openssl = || {
            let mut c = Command::new("openssl");
            c.current_dir(&tls);
            c
        };
        run(openssl().args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=myrmex audit test authority",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ]));
        run(openssl().args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server-key.pem",
            "-out",
            "server.csr",
        ]));
        std::fs::write(
            tls.join("server.ext"),
            "basicConstraints = CA:FALSE\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n",
        )
        .expect("write server.ext");
        run(openssl().args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]));
    }

    /// `mariadbd` options serving TLS with the certificate of [`Server::prepare_tls`].
    fn tls_args(&self) -> Vec<String> {
        let tls = self.dir.join("tls");
        vec![
            format!("--ssl-ca={}", tls.join("ca.pem").display()),
            format!("--ssl-cert={}", tls.join("server.pem").display()),
            format!("--ssl-key={}", tls.join("server-key.pem").display()),
        ]
    }

    /// Waits until root can log in over the socket; fails with the server's log when it
    /// stops or does not answer within 60 s.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    panic!("mariadbd stopped ({status}):\n{}", self.error_log());
                }
            }
            if MysqlDriver
                .connect(&self.options(&self.admin_url()))
                .is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer within 60 s:\n{}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("err.log")).unwrap_or_default()
    }

    /// root over the socket, as the installer leaves it (no password).
    fn admin_url(&self) -> String {
        format!(
            "mysql://root@localhost/?socket={}&ssl-mode=DISABLED",
            self.socket().display()
        )
    }

    /// A TCP URL on this server: `user[:password]`, then options.
    fn tcp_url(&self, credentials: &str, options: &str) -> String {
        format!("mysql://{credentials}@127.0.0.1:{}/?{options}", self.port)
    }

    fn options(&self, url: &str) -> myrmex_plugin::ConnectOptions {
        MysqlDriver
            .parse_url(url, "")
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// A direct session (for setting the server up and running statements to log).
    fn session(&self, url: &str) -> MysqlConnection {
        MysqlDriver
            .connect(&self.options(url))
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// A session as the host hands it to a rule set: the driver boxed for the contract.
    fn boxed(&self, url: &str) -> ConnectionBox {
        let driver = myrmex_plugin::driver_box(MysqlDriver);
        let options = driver
            .parse_url(RStr::from_str(url), RStr::from_str(""))
            .into_result()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        driver
            .connect(&options)
            .into_result()
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM for a clean shutdown; SIGKILL when it takes longer than 10 s.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !matches!(child.try_wait(), Ok(Some(_))) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check(conn: &mut ConnectionBox) -> Vec<Finding> {
    MysqlAudit
        .check_connection(&mut HostConnection::new(conn), &Context::default())
        .unwrap_or_else(|e| panic!("check_connection: {e}"))
}

fn rule_ids(findings: &[Finding]) -> BTreeSet<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

fn has(findings: &[Finding], rule: &str, object: &str) -> bool {
    findings
        .iter()
        .any(|f| f.rule == rule && f.object == object)
}

fn log(conn: &mut ConnectionBox, since: &str, limit: u32) -> Vec<LogRecord> {
    MysqlAudit
        .server_log(&mut HostConnection::new(conn), since, limit)
        .unwrap_or_else(|e| panic!("server_log({since:?}, {limit}): {e}"))
}

/// The server's clock now, to the second, as RFC 3339 UTC.
fn server_now(conn: &mut MysqlConnection) -> String {
    let start = conn
        .query(
            "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ')",
            myrmex_plugin::Params::none(),
            1,
        )
        .expect("the server's time");
    match start.first.values.first().map(|v| v.as_enum()) {
        Some(Ok(myrmex_plugin::Value::Text(t))) => t.to_string(),
        other => panic!("the server's time came as {other:?}"),
    }
}

/// The statement a weak server logs, with a quote and a line break inside a literal.
const INSERT: &str = "INSERT INTO shop.notes VALUES (1, 'it''s\nhere, \"quoted\"')";

#[test]
fn a_weak_server_fails_every_rule_and_its_log_reads_back() {
    let t0 = Instant::now();
    // The installer's defaults: anonymous accounts, root without a password, the test
    // database with grants to every account. The server runs 5 h 30 east of UTC.
    let Some(server) = Server::start("weak", &[], "XST-05:30", |_| {
        vec![
            "--local-infile=1".into(),
            "--secure-file-priv=".into(),
            "--log-bin=weak-bin".into(),
            "--server-id=1".into(),
        ]
    }) else {
        return;
    };
    let mut admin = server.session(&server.admin_url());
    admin
        .execute_batch(
            "CREATE USER root@'%'; GRANT ALL PRIVILEGES ON *.* TO root@'%' WITH GRANT OPTION; \
             SET SESSION old_passwords = 1; CREATE USER legacy@localhost IDENTIFIED BY 'legacy-pw'; \
             SET SESSION old_passwords = 0; \
             CREATE DATABASE shop; CREATE USER app@localhost IDENTIFIED BY 'app-pw'; \
             GRANT ALL ON shop.* TO app@localhost; \
             CREATE USER auditor@localhost IDENTIFIED BY 'auditor-pw'",
        )
        .expect("weaken the server");

    let mut root = server.boxed(&server.tcp_url("root", "ssl-mode=DISABLED"));
    let t = Instant::now();
    let found = check(&mut root);
    println!("weak: {} findings in {:?}", found.len(), t.elapsed());
    for f in &found {
        println!(
            "  {:?} {}: {} — {}",
            f.severity, f.rule, f.object, f.message
        );
    }
    assert_eq!(
        rule_ids(&found),
        BTreeSet::from([
            "anonymous-user",
            "empty-password",
            "root-remote",
            "local-infile",
            "secure-file-priv",
            "tls-not-required",
            "wildcard-host-accounts",
            "old-password-plugin",
            "test-database",
        ])
    );
    for (rule, object) in [
        ("anonymous-user", "account ''@'localhost'"),
        ("empty-password", "account 'root'@'%'"),
        ("empty-password", "account ''@'localhost'"),
        ("root-remote", "account 'root'@'%'"),
        ("wildcard-host-accounts", "account 'root'@'%'"),
        ("old-password-plugin", "account 'legacy'@'localhost'"),
        ("tls-not-required", "setting have_ssl"),
        ("test-database", "database test"),
        ("test-database", "grant on test\\_% to PUBLIC"),
    ] {
        assert!(has(&found, rule, object), "no {rule} on {object}");
    }
    // Accounts with a password, on localhost, are not findings; neither is the locked
    // mariadb.sys account.
    assert!(!found.iter().any(|f| f.object.contains("'app'")
        || f.object.contains("mariadb.sys")
        || (f.rule == "empty-password" && f.object.contains("legacy"))));

    // An account that may not read the grant tables: the rules it could not apply say so.
    let mut auditor = server.boxed(&server.tcp_url("auditor:auditor-pw", "ssl-mode=DISABLED"));
    let limited = check(&mut auditor);
    assert_eq!(
        rule_ids(&limited),
        BTreeSet::from([
            "insufficient-privilege",
            "local-infile",
            "secure-file-priv",
            "tls-not-required",
            "test-database",
        ])
    );
    let unchecked: BTreeSet<&str> = limited
        .iter()
        .filter(|f| f.rule == "insufficient-privilege")
        .map(|f| f.object.as_str())
        .collect();
    assert_eq!(
        unchecked,
        BTreeSet::from([
            "check anonymous-user",
            "check empty-password",
            "check root-remote",
            "check wildcard-host-accounts",
            "check old-password-plugin",
            "check test-database",
        ])
    );
    assert!(limited
        .iter()
        .filter(|f| f.rule == "insufficient-privilege")
        .all(|f| f.severity == Severity::INFO
            && f.message.contains("was not checked: cannot read mysql.")));

    // server_audit: installed and switched on by the rule set, then idempotent.
    let ran = MysqlAudit
        .configure_server_log(
            &mut HostConnection::new(&mut root),
            Config::new("mysql", ""),
        )
        .expect("configure server_audit");
    assert_eq!(
        ran,
        [
            "INSTALL SONAME 'server_audit'",
            "SET GLOBAL server_audit_events = 'CONNECT,QUERY_DDL,QUERY_DML'",
            "SET GLOBAL server_audit_output_type = 'file'",
            "SET GLOBAL server_audit_logging = ON",
        ]
    );
    let again = MysqlAudit
        .configure_server_log(
            &mut HostConnection::new(&mut root),
            Config::new("mysql", ""),
        )
        .expect("configure server_audit again");
    assert_eq!(again.len(), 3, "{again:?}");
    // The reading session's own statements stay out of the log, so what is read is exactly
    // what `app` did.
    admin
        .execute_batch("SET GLOBAL server_audit_excl_users = 'root'")
        .expect("exclude root");

    let mut app = server.session(&server.tcp_url("app:app-pw", "ssl-mode=DISABLED"));
    for sql in [
        "CREATE TABLE shop.notes (id INT PRIMARY KEY, note TEXT)",
        INSERT,
    ] {
        app.execute_batch(sql).expect(sql);
    }
    app.close().expect("close");
    // The log counts whole seconds: the next statements start in a later one.
    std::thread::sleep(Duration::from_millis(1100));
    let since = server_now(&mut admin);
    let mut app = server.session(&server.tcp_url("app:app-pw", "ssl-mode=DISABLED"));
    app.execute_batch("UPDATE shop.notes SET note = 'later' WHERE id = 1")
        .expect("update");
    let e = app
        .execute_batch("SELECT nosuch FROM shop.notes")
        .unwrap_err();
    assert_eq!(e.code.into_option(), Some(1054));
    app.close().expect("close");

    // The server writes a session's DISCONNECT once it has noticed the client left, which
    // under load may come after `close` returns: wait for it (at most 10 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && !log(&mut root, &since, 0)
            .iter()
            .any(|r| r.class == "DISCONNECT")
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let t = Instant::now();
    let all = log(&mut root, "", 0);
    println!("weak: {} log records read in {:?}", all.len(), t.elapsed());
    for r in &all {
        println!(
            "  {} {} {} {} {} {:?} {}",
            r.time, r.user, r.client, r.database, r.class, r.statement, r.outcome
        );
    }
    let insert = all
        .iter()
        .find(|r| r.statement == INSERT)
        .unwrap_or_else(|| panic!("the INSERT is not in the log: {all:#?}"));
    assert_eq!(
        (
            insert.user.as_str(),
            insert.client.as_str(),
            insert.class.as_str(),
            insert.outcome.as_str(),
            insert.source.as_str()
        ),
        ("app", "localhost", "QUERY", "ok", "server_audit")
    );
    assert!(insert.time.ends_with("+05:30"), "{}", insert.time);

    let recent = log(&mut root, &since, 0);
    let summary: Vec<(&str, &str, &str)> = recent
        .iter()
        .map(|r| (r.class.as_str(), r.statement.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("CONNECT", "", "ok"),
            // The client library asks this of every new session.
            ("QUERY", "SELECT @@max_allowed_packet", "ok"),
            (
                "QUERY",
                "UPDATE shop.notes SET note = 'later' WHERE id = 1",
                "ok"
            ),
            ("QUERY", "SELECT nosuch FROM shop.notes", "error 1054"),
            ("DISCONNECT", "", "ok"),
        ]
    );
    assert!(recent.iter().all(|r| r.user == "app"));
    assert_eq!(log(&mut root, "", 2), all[all.len() - 2..]);
    assert_eq!(log(&mut root, &since, 1), recent[recent.len() - 1..]);
    assert_eq!(all[all.len() - recent.len()..], recent[..]);

    // The log was loaded through a temporary table (server_audit's file is not readable by
    // every user, so LOAD_FILE() cannot): the table is gone, binary logging is back on, and
    // nothing of it reached the binary log.
    let mut host = HostConnection::new(&mut root);
    assert_eq!(
        host.scalar("SELECT @@SESSION.sql_log_bin")
            .unwrap()
            .as_deref(),
        Some("1")
    );
    assert!(host
        .text_rows("SELECT * FROM mysql.myrmex_server_audit_log")
        .is_err());
    for binlog in host.text_rows("SHOW BINARY LOGS").expect("binary logs") {
        let name = binlog[0].clone().unwrap_or_default();
        for event in host
            .text_rows(&format!("SHOW BINLOG EVENTS IN '{name}'"))
            .expect("binlog events")
        {
            assert!(
                !format!("{event:?}").contains("myrmex_server_audit_log"),
                "{event:?}"
            );
        }
    }

    // Without FILE the log cannot be read, and the error says why.
    let e = MysqlAudit
        .server_log(&mut HostConnection::new(&mut auditor), "", 0)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::PERMISSION, "{e}");
    assert!(e.message.contains("FILE privilege"), "{e}");
    println!("weak: whole test {:?}", t0.elapsed());
}

#[test]
fn a_hardened_server_has_no_finding_above_info() {
    let t0 = Instant::now();
    // No test database, local_infile OFF, secure_file_priv a directory of its own, TLS
    // required, server_audit loaded but not logging.
    let Some(server) = Server::start("hardened", &["--skip-test-db"], "UTC", |s| {
        s.prepare_tls();
        let mut args = vec![
            "--local-infile=0".to_string(),
            format!("--secure-file-priv={}", s.dir.join("files").display()),
            "--require-secure-transport=ON".to_string(),
            "--plugin-load-add=server_audit".to_string(),
        ];
        args.extend(s.tls_args());
        args
    }) else {
        return;
    };
    let mut admin = server.session(&server.admin_url());
    let strays = admin
        .query(
            "SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.global_priv \
             WHERE User = '' OR (User = 'root' AND Host <> 'localhost')",
            myrmex_plugin::Params::none(),
            100,
        )
        .expect("list accounts");
    let mut drops: Vec<String> = Vec::new();
    for v in strays.first.values.iter() {
        if let Ok(myrmex_plugin::Value::Text(account)) = v.as_enum() {
            drops.push(format!("DROP USER {account}"));
        }
    }
    drops.push("ALTER USER root@localhost IDENTIFIED BY 'hardened-pw'".into());
    admin
        .execute_batch(&drops.join("; "))
        .expect("harden the accounts");

    // Plain connections are refused; verified TLS is accepted.
    let plain = MysqlDriver
        .connect(&server.options(&server.tcp_url("root:hardened-pw", "ssl-mode=DISABLED")));
    assert!(plain.is_err(), "a plain connection was accepted");
    let ca = server.dir.join("tls").join("ca.pem");
    let url = server.tcp_url(
        "root:hardened-pw",
        &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={}", ca.display()),
    );
    let mut root = server.boxed(&url);
    let t = Instant::now();
    let found = check(&mut root);
    println!("hardened: {} findings in {:?}", found.len(), t.elapsed());
    for f in &found {
        println!(
            "  {:?} {}: {} — {}",
            f.severity, f.rule, f.object, f.message
        );
    }
    assert!(
        found.iter().all(|f| f.severity <= Severity::INFO),
        "{found:#?}"
    );

    // server_audit is loaded, but its log lies outside secure_file_priv: the error says so.
    let e = MysqlAudit
        .server_log(&mut HostConnection::new(&mut root), "", 0)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::PERMISSION, "{e}");
    assert!(e.message.contains("secure_file_priv"), "{e}");
    // Moved inside it, the log reads back.
    let file = server.dir.join("files").join("server_audit.log");
    let settings = format!(r#"{{"events": "QUERY_DDL", "file": "{}"}}"#, file.display());
    let ran = MysqlAudit
        .configure_server_log(
            &mut HostConnection::new(&mut root),
            Config::new("mysql", &settings),
        )
        .expect("configure server_audit");
    assert_eq!(ran.len(), 4, "{ran:?}");
    let mut session = server.session(&url);
    session
        .execute_batch("CREATE DATABASE probe")
        .expect("create");
    let records = log(&mut root, "", 0);
    assert!(
        records
            .iter()
            .any(|r| r.statement == "CREATE DATABASE probe" && r.outcome == "ok"),
        "{records:#?}"
    );
    println!("hardened: whole test {:?}", t0.elapsed());
}
