//! `myrmex`: the command line, the REPL and the Rhai script runner.

mod audit_cmd;
mod backup_cmd;
mod backup_schedule;
mod cli;
mod copy_cmd;
mod engine;
mod interrupt;
mod memory;
mod migrate_cmd;
mod monitor_cmd;
mod output;
mod progress;
mod repl;
mod schema_cmd;
mod schema_convert;
mod script;
mod shard_cmd;
mod sql_input;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command};
use myrmex_core::plugin::{Registry, SearchPath};
use myrmex_core::Config;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: redirected logs stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}

pub use engine::plugins::plugins_table;

/// `myrmex … | head` ends quietly, as psql does, instead of reporting a panic when the reader
/// closes the pipe. (SIGPIPE itself stays ignored: a server closing a socket must be an error,
/// not the end of the process.)
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Prints a command-line error (or `--help` / `--version`) as clap would, except that a URL
/// in the message shows no password: clap quotes the argument it could not place, and that
/// argument may be `postgres://user:password@…`. Errors print without colours, so the
/// redaction sees the argument as typed.
fn usage_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        // --help and --version: nothing from the command line is echoed.
        let _ = e.print();
    } else {
        let mut message = e.render().to_string();
        for arg in std::env::args_os().skip(1) {
            let arg = arg.to_string_lossy();
            let value = arg.split_once('=').map_or(&*arg, |(_, v)| v);
            for raw in [&*arg, value] {
                if raw.contains('@') || raw.contains("://") {
                    message = message.replace(raw, &myrmex_core::url::redact(raw));
                }
            }
        }
        eprint!("{}", myrmex_core::url::redact_in_text(&message));
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(script::EXIT_USAGE))
}

#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;

/// Stacks tried for the thread that runs scripts, with the deepest call nesting each holds: a
/// nested Rhai call takes about 45 KiB in a debug build, so 1 GiB holds
/// [`myrmex_core::Limits::MAX_CALL_LEVELS`] with room to spare. Only the pages used are
/// touched, but where the system counts reserved memory strictly (`vm.overcommit_memory=2`,
/// `ulimit -v`) the large stack may be refused, and a smaller one is used instead.
const SCRIPT_STACKS: [(usize, usize); 2] = [
    (1 << 30, myrmex_core::Limits::MAX_CALL_LEVELS),
    (64 << 20, 600),
];

fn main() -> ExitCode {
    quiet_broken_pipe();
    // Everything runs on one thread with a large stack, so that a deep but allowed recursion
    // ends in a script error at the call-depth limit, never in a stack overflow.
    let mut last_error = None;
    for (bytes, levels) in SCRIPT_STACKS {
        let worker = std::thread::Builder::new()
            .name("myrmex".into())
            .stack_size(bytes)
            .spawn(move || real_main(levels));
        match worker.map(|h| h.join()) {
            Ok(Ok(code)) => return code,
            Ok(Err(_)) => return ExitCode::from(101),
            Err(e) => last_error = Some(e),
        }
    }
    if let Some(e) = last_error {
        eprintln!("myrmex: cannot start the script thread: {e}");
    }
    ExitCode::from(1)
}

fn real_main(max_call_levels: usize) -> ExitCode {
    let code = run_main(max_call_levels);
    // Dropping the statement hooks closes the statement log with its final checkpoint.
    myrmex_core::hook::clear();
    code
}

fn run_main(max_call_levels: usize) -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return usage_error(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    // `-c` and `-f` run in the order given, as psql runs them.
    let sql_inputs = sql_inputs(&cli, &matches);
    init_logging(cli.verbose);
    output::set_csv_crlf(cli.csv_crlf);

    let config = match &cli.config {
        Some(p) => Config::load(p).map(Some),
        None => Config::load_default(),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("myrmex: {e}");
            return ExitCode::from(script::EXIT_USAGE);
        }
    };
    // Flags first, then the config file's `[shell]` table, then the defaults.
    let shell_config = config.as_ref().map(|c| &c.shell);
    if let Some(marker) = cli
        .null
        .clone()
        .or_else(|| shell_config.and_then(|s| s.null.clone()))
    {
        output::set_null_marker(marker);
    }
    let format = cli
        .format
        .or_else(|| {
            shell_config
                .and_then(|s| s.format.as_deref())
                .and_then(output::Format::from_name)
        })
        .unwrap_or_default();
    // A config file found in the working directory may not add plugin directories: whoever
    // could write there would get code run by everyone who starts myrmex there.
    let config_dirs = match &config {
        Some(c) if c.trusts_plugin_dirs() => c.resolved_plugin_dirs(),
        Some(c) => {
            if !c.plugin_dirs.is_empty() {
                let file = std::path::Path::new(".").join(
                    c.path
                        .as_deref()
                        .unwrap_or(std::path::Path::new(myrmex_core::config::DEFAULT_CONFIG)),
                );
                eprintln!(
                    "myrmex: ignoring plugin_dirs of {0}: a config file found in the working \
                     directory cannot add plugin directories; pass --config {0} to trust it",
                    file.display()
                );
            }
            Vec::new()
        }
        None => Vec::new(),
    };
    let registry = Arc::new(Registry::load(SearchPath::standard(
        &cli.plugin_dirs,
        &config_dirs,
        config.as_ref().and_then(|c| c.path.as_deref()),
    )));
    Registry::set_global(registry.clone());
    // Refusals are reported once: as warnings here, or by `myrmex plugins` on its own.
    if !matches!(cli.command, Some(Command::Plugins)) {
        for r in registry.refusals() {
            tracing::warn!("plugin refused: {r}");
        }
    }

    let mut limits = config.as_ref().map(|c| c.limits).unwrap_or_default();
    if let Some(n) = cli.max_operations {
        limits.max_operations = n;
    }
    if let Some(n) = cli.max_call_levels {
        limits.max_call_levels = n;
    }
    if let Some(n) = cli.timeout_ms {
        limits.timeout_ms = n;
    }
    if let Some(n) = cli.max_memory_mb {
        limits.max_memory_mb = Some(n);
    }
    memory::set_limit_mib(
        limits
            .max_memory_mb
            .unwrap_or_else(memory::default_limit_mib),
    );
    if let Some(n) = cli.max_string_size {
        limits.max_string_size = n;
    }
    if let Some(n) = cli.max_array_size {
        limits.max_array_size = n;
    }
    if let Some(n) = cli.max_map_size {
        limits.max_map_size = n;
    }
    if limits.max_call_levels > max_call_levels {
        eprintln!(
            "myrmex: max_call_levels {} is above the most the script stack holds ({max_call_levels})",
            limits.max_call_levels,
        );
        return ExitCode::from(script::EXIT_USAGE);
    }
    // Commands that send no statements run without the hooks: `audit verify-log` must work
    // on a log the statement log refuses to append to.
    let offline = matches!(&cli.command, Some(Command::Plugins))
        || matches!(&cli.command, Some(Command::Audit(a)) if a.is_offline());
    let hooks = if offline {
        Ok(())
    } else {
        audit_cmd::install_hooks(&registry, config.as_ref(), &cli.allow)
    };
    if let Err(e) = hooks {
        eprintln!("myrmex: [audit] of the config: {e}");
        return ExitCode::from(script::EXIT_USAGE);
    }
    if !offline {
        // Client statement metrics (`client_metrics()`, `myrmex monitor`) cover every
        // statement this process runs.
        myrmex_core::monitor::ClientMetrics::global();
    }
    let ctx = engine::Context::new(registry.clone(), config, limits);
    // The REPL installs the handler itself, after the line editor (which installs its own).
    let interactive = cli.eval.is_none()
        && cli.command.is_none()
        && sql_inputs.is_empty()
        && std::io::stdin().is_terminal();
    if !interactive {
        interrupt::install();
    }

    let schema_command = matches!(
        cli.command,
        Some(Command::Schema(_))
            | Some(Command::Audit(_))
            | Some(Command::Monitor(_))
            | Some(Command::Optimize(_))
            | Some(Command::Copy(_))
    ) || matches!(&cli.command, Some(Command::Migrate(m)) if matches!(m.command, migrate_cmd::MigrateCommand::Lint { .. }));
    if !format.is_tabular() && !schema_command {
        eprintln!(
            "myrmex: --format {format:?} is for `myrmex schema`; results print as table, csv, \
             tsv, json, jsonl or markdown"
        );
        return ExitCode::from(script::EXIT_USAGE);
    }
    if let Some(target) = &cli.target {
        if cli.command.is_some() {
            eprintln!("myrmex: a database argument cannot be combined with a command");
            return ExitCode::from(script::EXIT_USAGE);
        }
        let conn = match sql_input::resolve(&registry, target) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("myrmex: {e}");
                return ExitCode::from(script::EXIT_USAGE);
            }
        };
        return ExitCode::from(with_database(&ctx, &cli, format, conn, &sql_inputs));
    }
    let code = match (&cli.eval, &cli.command) {
        (Some(_), Some(_)) => {
            eprintln!("myrmex: -e cannot be combined with a command");
            script::EXIT_USAGE
        }
        (Some(code), None) => script::eval(&ctx, "-e", code, &mut rhai::Scope::new(), format, true),
        (None, Some(Command::Run { file, args })) => script::run_file(&ctx, file, args, format),
        (None, Some(Command::Schema(cmd))) => {
            schema_cmd::run(&ctx, cmd, cli.format.unwrap_or_default())
        }
        (None, Some(Command::Migrate(args))) => migrate_cmd::run(&ctx, args, format),
        (None, Some(Command::Shard(cmd))) => shard_cmd::run(&ctx, cmd),
        (None, Some(Command::Audit(args))) => audit_cmd::run(&ctx, args, cli.format),
        (None, Some(Command::Monitor(args))) => monitor_cmd::run_monitor(&ctx, args, cli.format),
        (None, Some(Command::Optimize(args))) => monitor_cmd::run_optimize(&ctx, args, cli.format),
        (None, Some(Command::Copy(args))) => copy_cmd::run(&ctx, args, cli.format),
        (None, Some(Command::Backup(args))) => backup_cmd::run_backup(&ctx, args, cli.format),
        (None, Some(Command::Restore(args))) => backup_cmd::run_restore(&ctx, args, cli.format),
        (None, Some(Command::Verify(args))) => backup_cmd::run_verify(&ctx, args, cli.format),
        (None, Some(Command::Backups(args))) => backup_cmd::run_backups(&ctx, args, cli.format),
        (None, Some(Command::Plugins)) => {
            print!(
                "{}",
                plugins_table(&engine::plugins::plugin_maps(&ctx), format)
            );
            if cli.verbose > 0 && format == output::Format::Table {
                print!("{}", engine::plugins::search_report(&registry));
            }
            for r in registry.refusals() {
                eprintln!("refused: {r}");
            }
            0
        }
        (None, None) => {
            if !std::io::stdin().is_terminal() {
                // Piped input: run it as one script.
                let mut code = String::new();
                if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut code) {
                    eprintln!("myrmex: cannot read standard input: {e}");
                    return ExitCode::from(script::EXIT_USAGE);
                }
                script::eval(
                    &ctx,
                    "<stdin>",
                    &code,
                    &mut rhai::Scope::new(),
                    format,
                    false,
                )
            } else {
                repl::run(ctx, format, None)
            }
        }
    };
    ExitCode::from(code)
}

/// One `-c SQL` or `-f FILE` of the command line.
enum SqlInput {
    Command(String),
    File(std::path::PathBuf),
}

/// The `-c` and `-f` arguments in command-line order.
fn sql_inputs(cli: &Cli, matches: &clap::ArgMatches) -> Vec<SqlInput> {
    let mut inputs: Vec<(usize, SqlInput)> = Vec::new();
    let commands = matches.indices_of("commands").into_iter().flatten();
    for (i, c) in commands.zip(&cli.commands) {
        inputs.push((i, SqlInput::Command(c.clone())));
    }
    let files = matches.indices_of("files").into_iter().flatten();
    for (i, f) in files.zip(&cli.files) {
        inputs.push((i, SqlInput::File(f.clone())));
    }
    inputs.sort_by_key(|(i, _)| *i);
    inputs.into_iter().map(|(_, input)| input).collect()
}

/// `myrmex URL|FILE …`: connects, then runs `-e`, the `-c`/`-f` SQL, piped SQL (or Rhai with
/// `--rhai`), or the REPL, with the connection as `db`. A failed connect exits 2.
fn with_database(
    ctx: &std::rc::Rc<engine::Context>,
    cli: &Cli,
    format: output::Format,
    conn: myrmex_core::DatabaseConnection,
    inputs: &[SqlInput],
) -> u8 {
    let db = match sql_input::connect(ctx, conn) {
        Ok(db) => db,
        Err(e) => {
            // The argument as typed (password hidden) says which database could not be opened.
            let target = cli.target.as_deref().unwrap_or_default();
            eprintln!(
                "myrmex: cannot open {}: {e}",
                myrmex_core::url::redact(target)
            );
            return script::EXIT_USAGE;
        }
    };
    let rhai_scope = |db: engine::conn::Db| {
        let mut scope = rhai::Scope::new();
        scope.push("db", db);
        scope
    };
    if let Some(code) = &cli.eval {
        return script::eval(ctx, "-e", code, &mut rhai_scope(db), format, true);
    }
    let opts = sql_input::Options {
        format,
        bail: cli.bail,
    };
    if !inputs.is_empty() {
        let mut outcome = sql_input::Outcome::Ok;
        for input in inputs {
            let o = match input {
                SqlInput::Command(sql) => sql_input::run_text(ctx, &db, "-c", sql, opts),
                SqlInput::File(path) => sql_input::run_file(ctx, &db, path, opts),
            };
            if let sql_input::Outcome::Stopped(_) = o {
                return o.exit_code();
            }
            if o == sql_input::Outcome::Failed {
                outcome = o;
            }
        }
        return outcome.exit_code();
    }
    if std::io::stdin().is_terminal() {
        return repl::run(ctx.clone(), format, Some(db));
    }
    let mut text = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
        eprintln!("myrmex: cannot read standard input: {e}");
        return script::EXIT_USAGE;
    }
    if cli.rhai {
        script::eval(ctx, "<stdin>", &text, &mut rhai_scope(db), format, false)
    } else {
        sql_input::run_text(ctx, &db, "<stdin>", &text, opts).exit_code()
    }
}
