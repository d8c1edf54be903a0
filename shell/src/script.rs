//! Running scripts (`run FILE`, `-e CODE`) and reporting their errors as `file:line:col: msg`.

use crate::engine::{self, Context};
use crate::interrupt;
use crate::output::{render_value, Format};
use rhai::{Array, Dynamic, EvalAltResult, ParseError, Position, Scope};
use std::path::Path;
use std::rc::Rc;

/// Exit status of a script error.
pub const EXIT_SCRIPT_ERROR: u8 = 1;
/// Exit status of a usage error.
pub const EXIT_USAGE: u8 = 2;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// `source:line:col: message` for a parse error.
pub fn parse_error(source: &str, e: &ParseError) -> String {
    format!("{}: {}", location(source, e.position()), e.err_type())
}

fn location(source: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{source}:{l}:{c}"),
        (Some(l), None) => format!("{source}:{l}:1"),
        _ => source.to_string(),
    }
}

/// The innermost error of a call chain, with the innermost known position.
fn innermost(e: &EvalAltResult) -> (&EvalAltResult, Position) {
    let mut cur = e;
    let mut pos = e.position();
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, p)
            | EvalAltResult::ErrorInModule(_, inner, p) => {
                if !p.is_none() {
                    pos = *p;
                }
                cur = inner;
                if !cur.position().is_none() {
                    pos = cur.position();
                }
            }
            _ => return (cur, pos),
        }
    }
}

/// `source:line:col: message` for a runtime error.
pub fn runtime_error(source: &str, e: &EvalAltResult) -> String {
    let (inner, pos) = innermost(e);
    let message = match inner {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        EvalAltResult::ErrorTerminated(v, _) => v.to_string(),
        EvalAltResult::ErrorTooManyOperations(_) => {
            "script exceeded its operation limit (raise --max-operations or [limits] max_operations)".into()
        }
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let (limit, flag) = if what.contains("string") {
                ("string size", "max-string-size")
            } else if what.contains("map") {
                ("map size", "max-map-size")
            } else {
                ("array size", "max-array-size")
            };
            format!(
                "script exceeded its {limit} limit ({what}; raise --{flag} or [limits] {})",
                flag.replace('-', "_")
            )
        }
        EvalAltResult::ErrorStackOverflow(_) => {
            "script exceeded its call depth limit (raise --max-call-levels or [limits] max_call_levels)".into()
        }
        other => {
            let s = other.to_string();
            match s.rfind(" (line ") {
                Some(i) if s.ends_with(')') => s[..i].to_string(),
                _ => s,
            }
        }
    };
    format!("{}: {message}", location(source, pos))
}

/// Runs `code` named `source`, printing a non-unit result in `format` when `print_result`.
pub fn eval(
    ctx: &Rc<Context>,
    source: &str,
    code: &str,
    scope: &mut Scope,
    format: Format,
    print_result: bool,
) -> u8 {
    let engine = engine::build(ctx);
    let ast = match engine.compile(code) {
        Ok(ast) => ast,
        Err(e) => {
            eprintln!("{}", parse_error(source, &e));
            return EXIT_SCRIPT_ERROR;
        }
    };
    let _watchdog = ctx.start_clock();
    match engine.eval_ast_with_scope::<Dynamic>(scope, &ast) {
        Ok(v) => {
            if print_result {
                if let Some(text) = render_value(&v, format, false) {
                    print!("{text}");
                }
            }
            0
        }
        // Ctrl-C stopped the script, or cancelled the statement it was running.
        Err(_) if interrupt::is_set() => {
            eprintln!("{source}: interrupted");
            EXIT_INTERRUPTED
        }
        Err(e) if interrupt::timed_out() => {
            let (_, pos) = innermost(&e);
            eprintln!("{}: {}", location(source, pos), ctx.timeout_message());
            EXIT_SCRIPT_ERROR
        }
        Err(e) => {
            eprintln!("{}", runtime_error(source, &e));
            EXIT_SCRIPT_ERROR
        }
    }
}

/// `myrmex run FILE ARGS…`: the script sees `ARGS` (an array of strings); `-` reads the
/// script from standard input.
pub fn run_file(ctx: &Rc<Context>, path: &Path, args: &[String], format: Format) -> u8 {
    let from_stdin = path == Path::new("-");
    let read = if from_stdin {
        let mut code = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut code).map(|_| code)
    } else {
        std::fs::read_to_string(path)
    };
    let code = match read {
        Ok(c) => c,
        Err(e) if from_stdin => {
            eprintln!("myrmex: cannot read standard input: {e}");
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("myrmex: cannot read script {}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    let source = if from_stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let mut scope = Scope::new();
    let arr: Array = args.iter().map(|a| Dynamic::from(a.clone())).collect();
    scope.push_constant("ARGS", arr);
    eval(ctx, &source, &code, &mut scope, format, false)
}
