//! [`StatementLog`]: the statement hook that appends every statement to an [`AuditLog`].

use super::{redact_statement, AuditLog, LogEntry, LogOptions, Outcome};
use crate::audit::LogConfig;
use crate::hook::{StatementEvent, StatementHook, StatementOutcome};
use crate::Result;

/// Appends every statement any connection of the process runs to the log, after it ran
/// (secrets hidden, and every literal when `redact_literals`). A statement that cannot be
/// logged is reported through `on_error`, never dropped in silence.
pub struct StatementLog {
    log: AuditLog,
    redact_literals: bool,
    on_error: Box<dyn Fn(&crate::Error) + Send + Sync>,
}

impl StatementLog {
    /// Opens the log `config` names.
    pub fn open(
        config: &LogConfig,
        on_error: Box<dyn Fn(&crate::Error) + Send + Sync>,
    ) -> Result<StatementLog> {
        let mut options = LogOptions {
            signing_key: config.signing_key.clone(),
            ..LogOptions::default()
        };
        if let Some(n) = config.checkpoint_every {
            options.checkpoint_every = n;
        }
        if let Some(n) = config.rotate_bytes {
            options.rotate_bytes = n;
        }
        Ok(StatementLog {
            log: AuditLog::open(&config.path, options)?,
            redact_literals: config.redact_literals,
            on_error,
        })
    }
}

impl StatementHook for StatementLog {
    fn after(&self, event: &StatementEvent<'_>, outcome: &StatementOutcome<'_>) {
        let statement = redact_statement(event.sql, self.redact_literals);
        // An engine's message may quote the statement (`near 'hunter2'`): when anything was
        // hidden from the statement, the log keeps only the error's kind and codes.
        let hidden = self.redact_literals || redact_statement(event.sql, false) != event.sql;
        let outcome_text = match outcome.error {
            None => Outcome::Ok,
            Some(e) => match e.plugin_error() {
                Some(p) if hidden => Outcome::Error(error_codes(p)),
                _ => Outcome::of_error(e),
            },
        };
        let entry = LogEntry {
            connection: event.connection.to_string(),
            url: event.url.to_string(),
            statement,
            params: event.params,
            duration: outcome.duration,
            rows: outcome.rows,
            outcome: outcome_text,
        };
        if let Err(e) = self.log.append(&entry) {
            (self.on_error)(&e);
        }
    }
}

/// An error's kind and codes, without its message.
fn error_codes(p: &myrmex_abi::PluginError) -> String {
    let mut out = format!(
        "{} error (message withheld: the statement held a secret)",
        p.kind.name()
    );
    if let Some(state) = p.sqlstate.as_ref().into_option() {
        out.push_str(&format!(", SQLSTATE {state}"));
    }
    if let Some(code) = p.code.as_ref().into_option() {
        out.push_str(&format!(", code {code}"));
    }
    out
}
