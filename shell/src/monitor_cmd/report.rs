//! The text reports of `myrmex monitor --once` and `myrmex optimize`.

use crate::engine::monitor::Advice;
use crate::engine::value::to_dynamic;
use crate::output::{Format, Tabular};
use myrmex_core::monitor::{DatabaseMetrics, Sample, StatementStats, Table};
use rhai::Dynamic;
use std::fmt::Write;

/// A number as a person reads it: integers without decimals, others to three.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// `name{k="v",…}`, the way the Prometheus format writes a sample.
pub fn sample_key(s: &Sample) -> String {
    if s.labels.is_empty() {
        return s.name.clone();
    }
    let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{}{{{}}}", s.name, labels.join(","))
}

/// The rate of a counter sample over the report's window, if there is one.
fn rate_of(m: &DatabaseMetrics, s: &Sample) -> Option<f64> {
    m.rates
        .iter()
        .find(|r| r.name == s.name && r.labels == s.labels)
        .map(|r| r.per_second)
}

/// A snapshot table as an aligned text table.
pub fn table_text(t: &Table) -> String {
    Tabular {
        columns: t.columns.clone(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(to_dynamic).collect())
            .collect(),
    }
    .render(Format::Table, false)
}

/// A float cell rounded to three decimals.
fn ms(v: f64) -> Dynamic {
    Dynamic::from_float((v * 1000.0).round() / 1000.0)
}

/// The client's statement metrics as a table.
pub fn client_table(stats: &[StatementStats]) -> Tabular {
    Tabular {
        columns: [
            "statement",
            "count",
            "errors",
            "rows",
            "total_ms",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "max_ms",
        ]
        .map(String::from)
        .to_vec(),
        rows: stats
            .iter()
            .map(|s| {
                let int = |n: u64| Dynamic::from_int(i64::try_from(n).unwrap_or(i64::MAX));
                vec![
                    Dynamic::from(s.fingerprint.clone()),
                    int(s.count),
                    int(s.errors),
                    int(s.rows),
                    ms(s.total_ms),
                    ms(s.p50_ms),
                    ms(s.p95_ms),
                    ms(s.p99_ms),
                    ms(s.max_ms),
                ]
            })
            .collect(),
    }
}

/// The report of `myrmex monitor --once`: the samples grouped by name with their rates,
/// the server's tables, the client's statements and the notes.
pub fn metrics_text(m: &DatabaseMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} snapshot{} over {:.2} s",
        m.connection,
        m.url,
        m.samples,
        if m.samples == 1 { "" } else { "s" },
        m.seconds
    );
    if !m.server.samples.is_empty() {
        let mut samples: Vec<&Sample> = m.server.samples.iter().collect();
        // Grouped by name, in the order the driver gave each name first.
        let first: Vec<&str> = {
            let mut names: Vec<&str> = Vec::new();
            for s in &samples {
                if !names.contains(&s.name.as_str()) {
                    names.push(&s.name);
                }
            }
            names
        };
        samples.sort_by_key(|s| first.iter().position(|n| *n == s.name));
        let rows: Vec<(String, String, String, &str)> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let rate = rate_of(m, s).map_or(String::new(), |r| format!("{}/s", number(r)));
                let new_group = i == 0 || samples[i - 1].name != s.name;
                let help = if new_group { s.help.as_str() } else { "" };
                (sample_key(s), number(s.value), rate, help)
            })
            .collect();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
        out.push_str("\nserver statistics\n");
        for (key, value, rate, help) in rows {
            let line = format!("  {key:<w0$}  {value:>w1$}  {rate:>w2$}  {help}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    for t in &m.server.tables {
        let _ = write!(out, "\n{}\n{}", t.name, table_text(t));
    }
    if m.client.is_empty() {
        out.push_str("\nclient statements: none run by this process\n");
    } else {
        let _ = write!(
            out,
            "\nclient statements (run by this process)\n{}",
            client_table(&m.client).render(Format::Table, false)
        );
    }
    if !m.notes.is_empty() {
        out.push_str("\nnotes\n");
        for n in &m.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

/// The report of `myrmex optimize`: every recommendation with its evidence, what was
/// applied, and the notes.
pub fn advice_text(a: &Advice) -> String {
    let mut out = String::new();
    if a.recommendations.is_empty() {
        out.push_str("no recommendations\n");
    }
    for (i, r) in a.recommendations.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. [{}] {} ({})",
            i + 1,
            r.kind,
            r.object,
            if r.safe {
                "safe"
            } else {
                "not safe to apply unattended"
            }
        );
        let _ = writeln!(out, "   {}", r.message);
        for (label, text) in [
            ("evidence", &r.evidence),
            ("expected gain", &r.expected_gain),
            ("risk", &r.risk),
        ] {
            if !text.is_empty() {
                let _ = writeln!(out, "   {label:<13}  {text}");
            }
        }
        if r.statements.is_empty() {
            out.push_str("   statements     none (advice for a person)\n");
        } else {
            out.push_str("   statements\n");
            for s in &r.statements {
                let _ = writeln!(out, "     {s}");
            }
        }
    }
    if !a.applied.is_empty() {
        out.push_str("applied\n");
        for s in &a.applied {
            match &s.error {
                None => {
                    let _ = writeln!(out, "  ok      {}", s.statement);
                }
                Some(e) => {
                    let _ = writeln!(out, "  failed  {}: {e}", s.statement);
                }
            }
        }
    }
    if !a.notes.is_empty() {
        out.push_str("notes\n");
        for n in &a.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use myrmex_core::monitor::{Applied, Rate, Recommendation, Snapshot};
    use myrmex_core::Value;

    fn sample(name: &str, kind: &'static str, labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            name: name.into(),
            help: format!("help of {name}"),
            kind,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    pub(crate) fn metrics() -> DatabaseMetrics {
        DatabaseMetrics {
            connection: "app".into(),
            url: "test://host/app".into(),
            samples: 2,
            seconds: 1.0,
            server: Snapshot {
                samples: vec![
                    sample("connections", "gauge", &[("state", "active")], 3.0),
                    sample("transactions_committed_total", "counter", &[], 1200.0),
                    sample("connections", "gauge", &[("state", "idle")], 5.0),
                    sample("cache_hit_ratio", "gauge", &[], 0.98765),
                ],
                tables: vec![Table {
                    name: "top_statements".into(),
                    columns: vec!["query".into(), "calls".into(), "total_ms".into()],
                    rows: vec![
                        vec![
                            Value::Text("SELECT 1".into()),
                            Value::Int(10),
                            Value::Float(2.5),
                        ],
                        vec![
                            Value::Text("SELECT 2".into()),
                            Value::Int(30),
                            Value::Float(1.0),
                        ],
                    ],
                }],
                notes: vec![],
            },
            rates: vec![Rate {
                name: "transactions_committed_total".into(),
                labels: vec![],
                per_second: 12.5,
            }],
            client: vec![],
            pools: vec![],
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.98765), "0.988");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(0.0001), "0");
    }

    #[test]
    fn the_report_groups_samples_and_shows_rates_tables_and_notes() {
        let text = metrics_text(&metrics());
        let active = text.find("connections{state=\"active\"}").expect("active");
        let idle = text.find("connections{state=\"idle\"}").expect("idle");
        let tx = text.find("transactions_committed_total").expect("tx");
        assert!(active < idle && idle < tx, "grouped by name:\n{text}");
        assert!(text.contains("12.5/s"), "{text}");
        assert!(text.contains("top_statements\n"), "{text}");
        assert!(text.contains("SELECT 2"), "{text}");
        assert!(text.contains("  - a note"), "{text}");
        assert!(text.contains("none run by this process"), "{text}");
    }

    #[test]
    fn advice_lists_every_field() {
        let a = Advice {
            recommendations: vec![Recommendation {
                kind: "missing-index".into(),
                object: "orders".into(),
                message: "Index orders(customer_id).".into(),
                evidence: "seq scans: 120".into(),
                expected_gain: "faster lookups".into(),
                risk: "write cost".into(),
                statements: vec!["CREATE INDEX i ON orders(customer_id)".into()],
                safe: true,
            }],
            applied: vec![Applied {
                statement: "CREATE INDEX i ON orders(customer_id)".into(),
                error: None,
            }],
            notes: vec![],
        };
        let text = advice_text(&a);
        for part in [
            "[missing-index] orders (safe)",
            "evidence",
            "seq scans: 120",
            "expected gain",
            "write cost",
            "CREATE INDEX i ON orders(customer_id)",
            "ok      CREATE INDEX",
        ] {
            assert!(text.contains(part), "{part} missing:\n{text}");
        }
        assert_eq!(advice_text(&Advice::default()), "no recommendations\n");
    }
}
