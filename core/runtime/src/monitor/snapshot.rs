//! The host's form of what a driver answers: a [`Snapshot`] of server statistics and its
//! [`Recommendation`]s.

use crate::Value;
use myrmex_abi::ValueNE;
use serde::Serialize;

/// One number of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// The metric's name (`connections`, `transactions_committed_total`).
    pub name: String,
    /// What it measures.
    pub help: String,
    /// `gauge` or `counter`.
    pub kind: &'static str,
    /// Label names and values.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// True for a value that only grows (rates are computed from two of them).
    pub fn is_counter(&self) -> bool {
        self.kind == "counter"
    }

    /// `name{label="value",…}`, the key rates are matched by.
    pub fn key(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{}{{{}}}", self.name, labels.join(","))
    }
}

/// A table of a snapshot (top statements, long-running queries, sizes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    #[serde(serialize_with = "rows_json")]
    pub rows: Vec<Vec<Value>>,
}

/// Rows as JSON arrays: numbers and booleans as such, everything else as its text.
fn rows_json<S: serde::Serializer>(rows: &[Vec<Value>], s: S) -> Result<S::Ok, S::Error> {
    let json: Vec<Vec<serde_json::Value>> = rows
        .iter()
        .map(|r| r.iter().map(json_of).collect())
        .collect();
    json.serialize(s)
}

fn json_of(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| f.to_string().into(), serde_json::Value::Number),
        Value::Text(t) | Value::Decimal(t) | Value::Date(t) | Value::Time(t) => t.as_str().into(),
        Value::Timestamp(t) | Value::TimestampTz(t) | Value::Json(t) => t.as_str().into(),
        Value::Uuid(u) => Value::format_uuid(u).into(),
        Value::Blob(b) => format!("({} bytes)", b.len()).into(),
        other => format!("{other:?}").into(),
    }
}

/// The server's statistics at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// The numbers.
    pub samples: Vec<Sample>,
    /// The tables.
    pub tables: Vec<Table>,
    /// What could not be read and how to enable it.
    pub notes: Vec<String>,
}

impl Snapshot {
    /// The snapshot that crossed the contract.
    pub(crate) fn from_abi(s: myrmex_abi::MetricsSnapshot) -> Snapshot {
        Snapshot {
            samples: s
                .samples
                .into_iter()
                .map(|m| Sample {
                    name: m.name.into(),
                    help: m.help.into(),
                    kind: if m.kind == myrmex_abi::MetricKind::COUNTER {
                        "counter"
                    } else {
                        "gauge"
                    },
                    labels: m
                        .labels
                        .into_iter()
                        .map(|t| (t.0.into(), t.1.into()))
                        .collect(),
                    value: m.value,
                })
                .collect(),
            tables: s
                .tables
                .into_iter()
                .map(|t| {
                    let width = t.columns.len().max(1);
                    let values: Vec<Value> = t.rows.iter().map(value_of).collect();
                    Table {
                        name: t.name.into(),
                        columns: t.columns.into_iter().map(String::from).collect(),
                        rows: values.chunks(width).map(<[Value]>::to_vec).collect(),
                    }
                })
                .collect(),
            notes: s.notes.into_iter().map(String::from).collect(),
        }
    }

    /// The sample `name` without labels, if there is one.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels.is_empty())
            .map(|s| s.value)
    }

    /// The table `name`, if there is one.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// A value of a snapshot table; one of a type this host does not know is shown as such.
fn value_of(v: &ValueNE) -> Value {
    v.as_enum()
        .cloned()
        .unwrap_or_else(|_| Value::Text("(a value of a type this host does not know)".into()))
}

/// One piece of tuning advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// `missing-index`, `duplicate-index`, `unused-index`, `stale-statistics`, `bloat`,
    /// `configuration`, `optimize`.
    pub kind: String,
    /// What it is about.
    pub object: String,
    /// What to do.
    pub message: String,
    /// What was measured.
    pub evidence: String,
    /// The gain to expect.
    pub expected_gain: String,
    /// What could go wrong.
    pub risk: String,
    /// The statements that apply it (empty: advice for a person).
    pub statements: Vec<String>,
    /// True when applying it blocks no writes and changes no data.
    pub safe: bool,
}

impl Recommendation {
    pub(crate) fn from_abi(r: myrmex_abi::Recommendation) -> Recommendation {
        Recommendation {
            kind: r.kind.into(),
            object: r.object.into(),
            message: r.message.into(),
            evidence: r.evidence.into(),
            expected_gain: r.expected_gain.into(),
            risk: r.risk.into(),
            statements: r.statements.into_iter().map(String::from).collect(),
            safe: r.safe,
        }
    }
}
