//! [`optimize_database`]: asks the driver for advice on the workload this process ran and
//! the machine it runs on, and applies the safe recommendations when asked to.

use super::client::ClientMetrics;
use super::snapshot::Recommendation;
use crate::{DatabaseConnection, Result};
use myrmex_abi::{AdviceRequest, RString};
use serde::Serialize;

/// Most workload statements handed to the driver.
const WORKLOAD: usize = 50;

/// What [`optimize_database`] does.
#[derive(Debug, Clone, Default)]
pub struct OptimizeOptions {
    /// Apply the recommendations marked safe (they block no writes and change no data).
    pub apply: bool,
    /// Statements to weigh besides those this process ran (a workload from a file).
    pub workload: Vec<String>,
}

/// A statement applied, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The statement.
    pub statement: String,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// The advice, and what was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptimizeReport {
    /// Every recommendation, with its evidence.
    pub recommendations: Vec<Recommendation>,
    /// The statements applied (with `apply`), in order.
    pub applied: Vec<Applied>,
}

/// Asks `conn`'s driver for tuning advice on the statements this process ran (most total
/// time first) and `options.workload`, for this machine's memory and cores. With
/// `options.apply`, runs each statement of every safe recommendation, calling `on_statement`
/// before each; a failed statement is recorded and the others still run.
pub fn optimize_database(
    conn: &mut DatabaseConnection,
    options: &OptimizeOptions,
    mut on_statement: impl FnMut(&str),
) -> Result<OptimizeReport> {
    let mut workload: Vec<RString> = options.workload.iter().map(|s| s.as_str().into()).collect();
    workload.extend(
        ClientMetrics::global()
            .stats()
            .into_iter()
            .filter(|s| s.example_params == 0 && !s.example.is_empty())
            .map(|s| RString::from(s.example)),
    );
    workload.truncate(WORKLOAD);
    let request = AdviceRequest {
        workload: workload.into(),
        memory_bytes: machine_memory(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get() as u32),
        extensions: Default::default(),
    };
    let recommendations = conn.advise(&request)?;
    let mut applied = Vec::new();
    if options.apply {
        for r in recommendations.iter().filter(|r| r.safe) {
            for statement in &r.statements {
                on_statement(statement);
                let error = conn.execute(statement, &[]).err().map(|e| e.to_string());
                applied.push(Applied {
                    statement: statement.clone(),
                    error,
                });
            }
        }
    }
    Ok(OptimizeReport {
        recommendations,
        applied,
    })
}

/// The machine's memory in bytes, or 0 when it cannot be read.
fn machine_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
