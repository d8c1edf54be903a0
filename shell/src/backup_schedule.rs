//! `myrmex backup schedule`: runs the `[backups.<job>]` entries of the config in the
//! foreground, one status line per run on stdout, until SIGTERM or Ctrl-C.

use crate::backup_cmd::Failure;
use crate::engine::Context;
use crate::interrupt;
use crate::script::EXIT_USAGE;
use myrmex_core::backup::schedule;
use std::io::Write;
use std::sync::Arc;

/// Runs the scheduler; returns the exit code (0 when stopped by a signal).
pub fn run(ctx: &Context, jobs: &[String]) -> Result<u8, Failure> {
    let config = ctx.config.as_ref().ok_or_else(|| {
        Failure(
            EXIT_USAGE,
            "no config file: the jobs are [backups.<job>] entries of myrmex.toml".into(),
        )
    })?;
    interrupt::install_terminate();
    let log: schedule::Log = Arc::new(|line: &str| {
        println!("{line}");
        let _ = std::io::stdout().flush();
    });
    schedule::run(
        config,
        ctx.registry.clone(),
        jobs,
        &interrupt::stopping,
        log,
    )?;
    Ok(0)
}
