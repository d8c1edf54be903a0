//! `myrmex monitor --prometheus ADDR`: serves `GET /metrics` in the Prometheus text format,
//! a fresh snapshot of every target per scrape, over one connection each (reconnected when
//! it fails), until Ctrl-C or SIGTERM.
//!
//! Each scrape first sends [`PROBE`] to each target: it tells whether the target answers
//! (`myrmex_up`, and a reconnect when it does not) and its round trip shows in the client
//! statement metrics.

use super::Failure;
use crate::interrupt;
use myrmex_core::monitor::{monitor_database, prometheus, ClientMetrics, DatabaseMetrics};
use myrmex_core::DatabaseConnection;
use std::fmt::Write;
use std::time::Duration;

/// The statement each scrape sends to each target first.
pub const PROBE: &str = "SELECT 1";

/// How often the server checks whether it was asked to stop.
const POLL: Duration = Duration::from_millis(100);

/// Serves until stopped; returns the exit code (0).
pub fn serve(addr: &str, mut conns: Vec<DatabaseConnection>) -> Result<u8, Failure> {
    interrupt::install_terminate();
    let server = tiny_http::Server::http(addr)
        .map_err(|e| Failure(super::EXIT_ERROR, format!("--prometheus {addr}: {e}")))?;
    let shown = server
        .server_addr()
        .to_ip()
        .map_or_else(|| addr.to_string(), |a| a.to_string());
    eprintln!("serving http://{shown}/metrics");
    while !interrupt::stopping() {
        let request = match server.recv_timeout(POLL) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!("--prometheus: {e}");
                continue;
            }
        };
        let path = request.url().split('?').next().unwrap_or_default();
        let method = request.method().clone();
        let response = match (&method, path) {
            (tiny_http::Method::Get | tiny_http::Method::Head, "/metrics") => {
                let body = scrape(&mut conns);
                tiny_http::Response::from_string(body).with_header(header(prometheus::CONTENT_TYPE))
            }
            (_, "/metrics") => tiny_http::Response::from_string("only GET is served here\n")
                .with_status_code(405)
                .with_header(header("text/plain; charset=utf-8")),
            _ => tiny_http::Response::from_string("not found: the metrics are at /metrics\n")
                .with_status_code(404)
                .with_header(header("text/plain; charset=utf-8")),
        };
        if let Err(e) = request.respond(response) {
            tracing::debug!("--prometheus: the scraper went away: {e}");
        }
    }
    eprintln!("stopped serving http://{shown}/metrics");
    Ok(0)
}

fn header(content_type: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes())
        .unwrap_or_else(|()| unreachable!("a constant header is valid"))
}

/// The probe, then one snapshot of `conn`.
fn probe(conn: &mut DatabaseConnection) -> myrmex_core::Result<DatabaseMetrics> {
    conn.execute_query(PROBE, &[])?;
    monitor_database(conn, 1, Duration::ZERO)
}

/// One snapshot of `conn`, reconnecting once when it fails.
fn measure(conn: &mut DatabaseConnection) -> Result<DatabaseMetrics, String> {
    match probe(conn) {
        Ok(m) => Ok(m),
        Err(first) => {
            tracing::warn!("--prometheus: {first}; reconnecting");
            conn.reconnect().map_err(|e| e.to_string())?;
            probe(conn).map_err(|e| e.to_string())
        }
    }
}

/// The exposition of every target: its metrics (the client's once), and `myrmex_up`, 1 for
/// each target that answered and 0 for each that did not.
pub fn scrape(conns: &mut [DatabaseConnection]) -> String {
    let mut all = Vec::new();
    let mut up = Vec::new();
    for conn in conns.iter_mut() {
        match measure(conn) {
            Ok(m) => {
                up.push((conn.name.clone(), 1));
                all.push(m);
            }
            Err(e) => {
                tracing::warn!("--prometheus: {}: {e}", conn.name);
                up.push((conn.name.clone(), 0));
            }
        }
    }
    // The client's metrics are rendered once, from the first: as they are after every probe
    // of this scrape (and shown even when nothing answered).
    let client = ClientMetrics::global().stats();
    match all.first_mut() {
        Some(first) => first.client = client,
        None => all.push(DatabaseMetrics {
            connection: String::new(),
            url: String::new(),
            samples: 0,
            seconds: 0.0,
            server: Default::default(),
            rates: Vec::new(),
            client,
            pools: myrmex_core::monitor::pool_stats(),
            notes: Vec::new(),
        }),
    }
    let mut out = prometheus::render(&all);
    out.push_str(
        "# HELP myrmex_up 1 when the connection answered this scrape, 0 when it did not.\n",
    );
    out.push_str("# TYPE myrmex_up gauge\n");
    for (name, value) in up {
        let _ = writeln!(out, "myrmex_up{{connection=\"{}\"}} {value}", escape(&name));
    }
    out
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn no_target_still_reports_up() {
        let out = scrape(&mut []);
        assert!(out.contains("# TYPE myrmex_up gauge"), "{out}");
    }
}
