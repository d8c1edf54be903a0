//! Monitoring and tuning end to end, through the binary, on every engine: `myrmex monitor
//! --once` (text and JSON), the client's statement metrics in Rhai, the Prometheus endpoint
//! scraped over HTTP and read by an exposition-format parser, the live view on a terminal,
//! and `optimize_database` / `myrmex optimize`.
//!
//! A driver that reads no statistics (or gives no advice) must say so in a note: the
//! assertions hold both for such a driver and for one that answers.

use myrmex_tests::*;
use prom_text_format_parser::{Scrape, Type, ValueType};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

/// The name `myrmex URL` gives a connection: the database's file stem or name.
fn connection_name(t: &Target) -> String {
    let db = t.url.rsplit('/').next().unwrap_or_default();
    let db = db.split('?').next().unwrap_or_default();
    db.trim_end_matches(".db").to_string()
}

/// Either server statistics, or a note saying why there are none: never silently nothing.
fn assert_statistics_or_a_note(m: &serde_json::Value, engine: &str) {
    let samples = m["server"]["samples"].as_array().unwrap();
    let notes = m["notes"].as_array().unwrap();
    assert!(
        !samples.is_empty() || !notes.is_empty(),
        "{engine}: neither statistics nor a note saying why: {m}"
    );
    for s in samples {
        assert!(s["name"].as_str().is_some_and(|n| !n.is_empty()), "{s}");
        assert!(
            matches!(s["kind"].as_str(), Some("gauge" | "counter")),
            "{s}"
        );
        assert!(s["value"].is_number(), "{s}");
    }
    for n in notes {
        assert!(n.as_str().is_some_and(|n| !n.is_empty()), "{m}");
    }
}

#[test]
fn once_reports_name_the_connection_in_text_and_json() {
    for t in targets("monitor-once") {
        let out = run(myrmex().args([
            "monitor",
            &t.url,
            "--once",
            "--interval",
            "100",
            "--format",
            "json",
        ]));
        let m = json(&out);
        assert_eq!(m["connection"], connection_name(&t), "{}: {m}", t.engine);
        assert!(m["url"].as_str().unwrap().contains("://"), "{m}");
        assert_eq!(m["samples"], 2, "{m}");
        assert!(m["client"].is_array() && m["rates"].is_array(), "{m}");
        assert_statistics_or_a_note(&m, t.engine);
        // Rates come from two snapshots: each one is of a counter that was sampled.
        let counters: Vec<&str> = m["server"]["samples"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "counter")
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        for r in m["rates"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap();
            assert!(
                counters.contains(&name),
                "rate of a non-counter {name}: {m}"
            );
            assert!(r["per_second"].as_f64().unwrap() >= 0.0, "{r}");
        }

        let out = run(myrmex().args(["monitor", &t.url, "--once", "--interval", "100"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout
                .starts_with(&format!("{} (", connection_name(&t))),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("server statistics") || out.stdout.contains("\nnotes\n"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn reports_repeat_when_piped_and_stop_after_samples() {
    let t = &targets("monitor-loop")[0];
    let started = Instant::now();
    let out = run(myrmex().args([
        "monitor",
        &t.url,
        "--samples",
        "3",
        "--interval",
        "200",
        "--format",
        "jsonl",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // One report an interval, whether or not the driver's snapshots waited.
    assert!(started.elapsed() >= Duration::from_millis(400));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for l in lines {
        let m: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(m["connection"], "s");
    }
}

#[test]
fn usage_errors_exit_2_and_unreachable_databases_exit_1() {
    let t = &targets("monitor-usage")[0];
    for args in [
        vec!["monitor", &t.url, "sqlite::memory:", "--once"],
        vec!["monitor", &t.url, "--once", "--format", "csv"],
        vec!["monitor", &t.url, "--once", "--samples", "2"],
        vec!["monitor", &t.url, "--interval", "0"],
        vec!["monitor", "no-such-connection", "--once"],
        vec!["optimize", &t.url, "--workload", "/no/such/file.sql"],
    ] {
        let out = run(myrmex().args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
    let port = silent_server_closed();
    let url = format!("postgres://u:hunter2@127.0.0.1:{port}/x");
    let out = run(myrmex().args(["monitor", &url, "--once"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot open"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

/// A local port nothing listens on.
fn silent_server_closed() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn client_metrics_count_a_statement_run_50_times_with_percentiles() {
    for t in targets("monitor-client") {
        let script = format!(
            r#"
            let db = connect("{}");
            db.execute("CREATE TABLE mon_t(id INT PRIMARY KEY, v VARCHAR(20))");
            db.execute("INSERT INTO mon_t VALUES (1, 'one')");
            for i in 0..50 {{ db.query("SELECT v FROM mon_t WHERE id = ?", [i % 3]); }}
            let m = monitor_database(db, #{{ samples: 2, interval_ms: 50 }});
            #{{ client: client_metrics(), monitored: m, snapshot: db.metrics() }}
            "#,
            t.url
        );
        let out = run(myrmex().args(["--format", "json", "-e", &script]));
        let v = json(&out);
        let find = |list: &serde_json::Value| -> serde_json::Value {
            list.as_array()
                .unwrap()
                .iter()
                .find(|s| s["fingerprint"] == "SELECT v FROM mon_t WHERE id = ?")
                .cloned()
                .unwrap_or_else(|| panic!("{}: statement not in {list}", t.engine))
        };
        for s in [find(&v["client"]), find(&v["monitored"]["client"])] {
            assert_eq!(s["count"], 50, "{}: {s}", t.engine);
            assert_eq!(s["errors"], 0, "{s}");
            let p = |k: &str| s[k].as_f64().unwrap_or_else(|| panic!("{k}: {s}"));
            assert!(p("p50_ms") > 0.0, "{s}");
            assert!(p("p50_ms") <= p("p95_ms"), "{s}");
            assert!(p("p95_ms") <= p("p99_ms"), "{s}");
            assert!(p("p99_ms") <= p("max_ms") + 0.001, "{s}");
            assert!(p("total_ms") >= p("max_ms"), "{s}");
            // The example statement is kept out of every output.
            assert!(s.get("example").is_none(), "{s}");
        }
        assert_eq!(v["monitored"]["samples"], 2);
        assert_statistics_or_a_note(&v["monitored"], t.engine);
        let snapshot = &v["snapshot"];
        assert!(
            !snapshot["samples"].as_array().unwrap().is_empty()
                || !snapshot["notes"].as_array().unwrap().is_empty(),
            "{}: {snapshot}",
            t.engine
        );
    }
}

#[test]
fn rhai_errors_name_the_function_and_the_connection() {
    let out = run(myrmex().args([
        "-e",
        r#"let db = connect("sqlite::memory:", "spare"); db.close(); monitor_database(db)"#,
    ]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("monitor_database(): spare"),
        "{}",
        out.stderr
    );
    let out = run(myrmex().args([
        "-e",
        r#"optimize_database(connect("sqlite::memory:"), #{ apply: "yes" })"#,
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("`apply` must be"), "{}", out.stderr);
}

/// A running `myrmex monitor --prometheus`, killed if a test fails before stopping it.
struct Exporter {
    child: Child,
    stderr: BufReader<std::process::ChildStderr>,
    addr: String,
}

impl Exporter {
    /// Starts it on a free port and reads the address it announces.
    fn start(targets: &[&str]) -> Exporter {
        let mut child = myrmex()
            .arg("monitor")
            .args(targets)
            .args(["--prometheus", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("serving http://")
            .and_then(|l| l.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("announced: {line:?}"))
            .to_string();
        Exporter {
            child,
            stderr,
            addr,
        }
    }

    /// A plain HTTP/1.1 GET: status, content type, body.
    fn get(&self, path: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("a response");
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let content_type = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-type")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        (status, content_type, body.to_string())
    }

    /// Sends SIGTERM and waits for a clean exit; returns the rest of stderr.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let code = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s.code();
            }
            assert!(
                Instant::now() < deadline,
                "the exporter did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(code, Some(0), "exit status after SIGTERM");
        let mut rest = String::new();
        let _ = self.stderr.read_to_string(&mut rest);
        rest
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_prometheus_endpoint_serves_every_target_in_the_exposition_format() {
    let all = targets("monitor-prom");
    let urls: Vec<&str> = all.iter().map(|t| t.url.as_str()).collect();
    let exporter = Exporter::start(&urls);

    let (status, content_type, _) = exporter.get("/metrics");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    // The second scrape sees the probes of the first.
    let (status, _, body) = exporter.get("/metrics");
    assert_eq!(status, 200);

    // Every line is parsed: the parser fails on any line it cannot read.
    let scrape = Scrape::parse(&body).unwrap_or_else(|e| panic!("{e:?}\n{body}"));
    let sample_lines = body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    let parsed: usize = scrape.metrics.iter().map(|m| m.samples.len()).sum();
    assert_eq!(
        parsed, sample_lines,
        "lines left out by the parser:\n{body}"
    );
    for m in &scrape.metrics {
        assert!(m.name.starts_with("myrmex_"), "{}", m.name);
        assert!(m.help_desc.is_some(), "{} has no HELP", m.name);
        assert_ne!(m.kind, Type::Untyped, "{} has no TYPE", m.name);
    }
    let metric = |name: &str| {
        scrape
            .metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name} missing:\n{body}"))
    };
    let label = |s: &prom_text_format_parser::Sample, key: &str| {
        s.labels
            .iter()
            .find(|l| l.key == key)
            .map(|l| l.value.clone())
    };
    let probe = Some("SELECT ?".to_string());

    let total = metric("myrmex_client_statements_total");
    assert_eq!(total.kind, Type::Counter);
    let probes = total
        .samples
        .iter()
        .find(|s| label(s, "statement") == probe)
        .unwrap_or_else(|| panic!("no probe statement:\n{body}"));
    assert!(
        probes.value.value.as_f64() >= 2.0 * all.len() as f64,
        "{body}"
    );
    assert_eq!(
        metric("myrmex_client_statement_errors_total").kind,
        Type::Counter
    );

    let duration = metric("myrmex_client_statement_duration_seconds");
    assert_eq!(duration.kind, Type::Summary);
    let of_probe: Vec<_> = duration
        .samples
        .iter()
        .filter(|s| label(s, "statement") == probe)
        .collect();
    let mut quantiles: Vec<String> = of_probe
        .iter()
        .filter(|s| s.value.value_type == ValueType::Sample)
        .filter_map(|s| label(s, "quantile"))
        .collect();
    quantiles.sort();
    assert_eq!(quantiles, ["0.5", "0.95", "0.99"], "{body}");
    for kind in [ValueType::Sum, ValueType::Count] {
        assert!(
            of_probe.iter().any(|s| s.value.value_type == kind),
            "no {kind:?} sample:\n{body}"
        );
    }

    let up = metric("myrmex_up");
    assert_eq!(up.kind, Type::Gauge);
    assert_eq!(up.samples.len(), all.len(), "{body}");
    for (s, t) in up.samples.iter().zip(&all) {
        assert_eq!(label(s, "connection"), Some(connection_name(t)), "{body}");
        assert_eq!(s.value.value.as_f64(), 1.0, "{body}");
    }
    // Server samples carry the connection they belong to.
    for m in &scrape.metrics {
        if !m.name.starts_with("myrmex_client_") && m.name != "myrmex_up" {
            for s in &m.samples {
                assert!(label(s, "connection").is_some(), "{}: {body}", m.name);
            }
        }
    }

    let (status, _, _) = exporter.get("/other");
    assert_eq!(status, 404);
    let rest = exporter.stop();
    assert!(rest.contains("stopped serving"), "{rest}");
}

#[test]
fn the_live_view_draws_sorts_and_quits() {
    let t = &targets("monitor-live")[0];
    let dir = temp_dir("monitor-live-pty");
    let mut cmd = Command::new("sh");
    // A pseudo-terminal of a known size, as a person's terminal has.
    cmd.current_dir(&dir)
        .env("TERM", "xterm")
        .env("RUST_BACKTRACE", "0")
        .env_remove("MYRMEX_PLUGIN_PATH")
        .args([
            "-c",
            "stty rows 40 cols 140; exec \"$0\" \"$@\"",
            myrmex_bin().to_str().unwrap(),
            "monitor",
            &t.url,
            "--interval",
            "200",
        ]);
    let mut p = spawn_pty(cmd);
    // Blank cells are drawn as cursor moves, which the session strips: one word at a time.
    for word in [
        "monitor",
        "statements",
        "long-running",
        "blocked",
        "connections:",
    ] {
        p.exp_string(word).unwrap();
    }
    p.send("s").unwrap();
    p.send("q").unwrap();
    p.flush().unwrap();
    p.exp_eof().unwrap();
    let status = p.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}

#[test]
fn ctrl_c_leaves_the_live_view() {
    let t = &targets("monitor-live-c")[0];
    let mut cmd = Command::new("sh");
    cmd.env("TERM", "xterm")
        .env("RUST_BACKTRACE", "0")
        .env_remove("MYRMEX_PLUGIN_PATH")
        .args([
            "-c",
            "stty rows 30 cols 100; exec \"$0\" \"$@\"",
            myrmex_bin().to_str().unwrap(),
            "monitor",
            &t.url,
            "--interval",
            "100",
        ]);
    let mut p = spawn_pty(cmd);
    p.exp_string("connections:").unwrap();
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    let status = p.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}

#[test]
fn optimize_returns_advice_or_says_why_not() {
    for t in targets("monitor-optimize") {
        let script = format!(
            r#"
            let db = connect("{}");
            db.execute("CREATE TABLE opt_t(id INT PRIMARY KEY, k INT)");
            for i in 0..20 {{ db.query("SELECT id FROM opt_t WHERE k = ?", [i]); }}
            let plain = optimize_database(db);
            let applied = optimize_database(db, #{{ apply: true, workload: ["SELECT id FROM opt_t WHERE k = 7"] }});
            #{{ plain: plain, applied: applied }}
            "#,
            t.url
        );
        let out = run(myrmex().args(["--format", "json", "-e", &script]));
        // Statements applied are announced on stdout before the JSON result.
        let json_start = out.stdout.find('{').unwrap_or(0);
        let announced: Vec<&str> = out.stdout[..json_start]
            .lines()
            .filter(|l| l.starts_with("applying: "))
            .collect();
        let v: serde_json::Value = serde_json::from_str(&out.stdout[json_start..])
            .unwrap_or_else(|e| panic!("{}: {e}: {}\n{}", t.engine, out.stdout, out.stderr));
        assert_eq!(out.code, 0, "{}", out.stderr);
        for r in ["plain", "applied"] {
            let recs = v[r]["recommendations"].as_array().unwrap();
            assert!(v[r]["notes"].is_array(), "{r}: {v}");
            for rec in recs {
                for k in [
                    "kind",
                    "object",
                    "message",
                    "evidence",
                    "expected_gain",
                    "risk",
                ] {
                    assert!(rec[k].is_string(), "{k}: {rec}");
                }
                assert!(
                    rec["statements"].is_array() && rec["safe"].is_boolean(),
                    "{rec}"
                );
            }
        }
        let applied = v["applied"]["applied"].as_array().unwrap();
        assert_eq!(announced.len(), applied.len(), "{}", out.stdout);
        for a in applied {
            assert!(a["error"].is_null(), "{}: {a}", t.engine);
        }
        assert!(v["plain"]["applied"].as_array().unwrap().is_empty());

        let dir = temp_dir("monitor-workload");
        let workload = dir.join("workload.sql");
        std::fs::write(
            &workload,
            "SELECT id FROM opt_t WHERE k = 3;\nSELECT count(*) FROM opt_t;\n",
        )
        .unwrap();
        let out = run(myrmex()
            .args(["optimize", &t.url, "--workload"])
            .arg(&workload));
        assert_eq!(out.code, 0, "{}: {}", t.engine, out.stderr);
        assert!(
            out.stdout.contains("no recommendations") || out.stdout.contains("1. ["),
            "{}",
            out.stdout
        );
        let out = run(myrmex().args(["optimize", &t.url, "--format", "json"]));
        let report = json(&out);
        assert!(report["recommendations"].is_array(), "{report}");
        assert!(report["applied"].as_array().unwrap().is_empty(), "{report}");
        let out = run(myrmex().args(["optimize", &t.url, "--format", "sarif"]));
        assert_eq!(out.code, 2, "{}", out.stderr);
    }
}
