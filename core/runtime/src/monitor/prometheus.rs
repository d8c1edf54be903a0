//! The Prometheus text exposition format (version 0.0.4) of [`DatabaseMetrics`]: every
//! server sample as `myrmex_<name>{connection="…",…}`, and the client's statement metrics
//! as `myrmex_client_statements_total`, `myrmex_client_statement_errors_total` and the
//! summary `myrmex_client_statement_duration_seconds`.

use super::metrics::DatabaseMetrics;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The content type of the format, for an HTTP response.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Longest fingerprint kept in a label (a label is not the place for a whole statement).
const MAX_LABEL_CHARS: usize = 200;

struct Family {
    help: String,
    kind: &'static str,
    lines: Vec<String>,
}

/// Renders the metrics of every connection in one exposition.
///
/// ```
/// use myrmex_core::monitor::prometheus::render;
/// assert_eq!(render(&[]), "");
/// ```
pub fn render(all: &[DatabaseMetrics]) -> String {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let mut add = |name: String, help: &str, kind: &'static str, line: String| {
        families
            .entry(name)
            .or_insert_with(|| Family {
                help: help.to_string(),
                kind,
                lines: Vec::new(),
            })
            .lines
            .push(line);
    };
    for m in all {
        for s in &m.server.samples {
            let name = format!("myrmex_{}", sanitize(&s.name));
            let mut labels = vec![("connection".to_string(), m.connection.clone())];
            labels.extend(s.labels.iter().cloned());
            let line = format!("{name}{} {}", label_set(&labels), number(s.value));
            add(name, &s.help, s.kind, line);
        }
    }
    // The client's metrics belong to this process, not to a connection: once.
    if let Some(m) = all.first() {
        for c in &m.client {
            let fp: String = c.fingerprint.chars().take(MAX_LABEL_CHARS).collect();
            let labels = label_set(&[("statement".to_string(), fp)]);
            add(
                "myrmex_client_statements_total".into(),
                "Statements myrmex ran, by fingerprint.",
                "counter",
                format!("myrmex_client_statements_total{labels} {}", c.count),
            );
            add(
                "myrmex_client_statement_errors_total".into(),
                "Statements myrmex ran that failed, by fingerprint.",
                "counter",
                format!("myrmex_client_statement_errors_total{labels} {}", c.errors),
            );
            let name = "myrmex_client_statement_duration_seconds";
            for (q, v) in [("0.5", c.p50_ms), ("0.95", c.p95_ms), ("0.99", c.p99_ms)] {
                let fpq = vec![
                    (
                        "statement".to_string(),
                        c.fingerprint.chars().take(MAX_LABEL_CHARS).collect(),
                    ),
                    ("quantile".to_string(), q.to_string()),
                ];
                add(
                    name.into(),
                    "Statement latency seen by myrmex, by fingerprint.",
                    "summary",
                    format!("{name}{} {}", label_set(&fpq), number(v / 1000.0)),
                );
            }
            add(
                name.into(),
                "",
                "summary",
                format!("{name}_sum{labels} {}", number(c.total_ms / 1000.0)),
            );
            add(
                name.into(),
                "",
                "summary",
                format!("{name}_count{labels} {}", c.count),
            );
        }
    }
    if let Some(m) = all.first() {
        for p in &m.pools {
            let labels = label_set(&[("pool".to_string(), p.pool.clone())]);
            for (name, help, value) in [
                (
                    "myrmex_client_pool_checkouts_total",
                    "Connections handed out by a pool.",
                    p.checkouts as f64,
                ),
                (
                    "myrmex_client_pool_waits_total",
                    "Checkouts that waited for a free connection.",
                    p.waits as f64,
                ),
                (
                    "myrmex_client_pool_timeouts_total",
                    "Checkouts that gave up waiting.",
                    p.timeouts as f64,
                ),
                (
                    "myrmex_client_pool_wait_seconds_total",
                    "Time spent waiting for a connection.",
                    p.wait_ms / 1000.0,
                ),
            ] {
                add(
                    name.into(),
                    help,
                    "counter",
                    format!("{name}{labels} {}", number(value)),
                );
            }
        }
    }
    let mut out = String::new();
    for (name, f) in families {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(&f.help));
        let _ = writeln!(out, "# TYPE {name} {}", f.kind);
        for l in f.lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// A metric name made of the characters the format allows.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn label_set(labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", sanitize(k), escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_exported_as_counters() {
        let m = DatabaseMetrics {
            connection: "app".into(),
            url: String::new(),
            samples: 1,
            seconds: 0.0,
            server: Default::default(),
            rates: vec![],
            client: vec![],
            pools: vec![crate::monitor::PoolClientStats {
                pool: "app".into(),
                checkouts: 3,
                waits: 1,
                timeouts: 1,
                wait_ms: 1500.0,
            }],
            notes: vec![],
        };
        let text = render(&[m]);
        assert!(
            text.contains("# TYPE myrmex_client_pool_waits_total counter"),
            "{text}"
        );
        assert!(
            text.contains("myrmex_client_pool_timeouts_total{pool=\"app\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("myrmex_client_pool_wait_seconds_total{pool=\"app\"} 1.5"),
            "{text}"
        );
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(
            label_set(&[("a".into(), "x\"y\\z\nw".into())]),
            "{a=\"x\\\"y\\\\z\\nw\"}"
        );
        assert_eq!(sanitize("cache hit-ratio"), "cache_hit_ratio");
    }
}
