//! The fixture plugins on contract 2, through the `myrmex` binary: the out-of-tree shard
//! router used from Rhai, panics in statements and openers as errors, one-line refusals of an
//! old contract and of a stolen URL scheme, and the frozen contract-2.0 plugin loading into
//! this host.

use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A fresh plugin directory holding copies of the libraries `names` (as in `plugin_file`)
/// built in `from`.
fn plugin_dir(label: &str, from: &Path, names: &[&str]) -> PathBuf {
    let dir = temp_dir(label);
    for name in names {
        std::fs::copy(from.join(plugin_file(name)), dir.join(plugin_file(name)))
            .unwrap_or_else(|e| panic!("copy {} from {}: {e}", plugin_file(name), from.display()));
    }
    dir
}

/// Runs the Rhai `script` with `dir` on the plugin path; asserts it succeeded and returns
/// its standard output.
fn rhai(dir: &Path, script: &str) -> String {
    let out = run(myrmex().arg("--plugin-dir").arg(dir).arg("-e").arg(script));
    assert_eq!(
        out.code, 0,
        "script: {script}\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout
}

/// The last line `script` printed, trimmed (the value of its last expression).
fn rhai_value(dir: &Path, script: &str) -> String {
    rhai(dir, script)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Lines of `text` that contain `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

/// FNV-1a 64 over `bytes`, with `seed` mixed into the offset basis: the rule of `modulo`.
fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The frozen contract-2.0 plugin, built once per process from `tests/fixtures/compat-2.0`
/// (a workspace of its own, with its committed lockfile) into `target/fixtures-compat`.
fn compat_plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = workspace_root().join("tests/fixtures/compat-2.0/Cargo.toml");
        let target = profile_dir()
            .parent()
            .expect("target dir")
            .join("fixtures-compat");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--quiet", "--locked", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("run cargo build for tests/fixtures/compat-2.0");
        assert!(
            status.success(),
            "cargo build of tests/fixtures/compat-2.0 failed"
        );
        target.join("debug")
    })
}

#[test]
fn the_out_of_tree_router_is_listed_and_used_from_rhai() {
    let dir = plugin_dir("c2-oot", fixture_plugins(), &["oot_shard"]);

    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let oot = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "myrmex-oot-shard")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(oot["capabilities"][0]["kind"], "shard", "{oot}");
    assert_eq!(oot["capabilities"][0]["name"], "modulo", "{oot}");
    assert!(
        lines_with(&out.stderr, &plugin_file("oot_shard")).is_empty(),
        "{}",
        out.stderr
    );

    // FNV-1a 64 over the key's bytes, modulo the shard count: the same shards as before
    // contract 2.
    let int = fnv1a(0, &42i64.to_le_bytes()) % 8;
    let text = fnv1a(0, b"customer-42") % 8;
    assert_eq!((int, text), (7, 6));
    assert_eq!(
        rhai_value(&dir, r#"shard_router("modulo").route(42, 8)"#),
        int.to_string()
    );
    assert_eq!(
        rhai_value(&dir, r#"shard_router("modulo").route("customer-42", 8)"#),
        text.to_string()
    );

    // Typed settings: seed 0 changes nothing, another seed is mixed into the hash.
    let unseeded = fnv1a(0, &42i64.to_le_bytes()) % 1000;
    let seeded = fnv1a(7, &42i64.to_le_bytes()) % 1000;
    assert_ne!(unseeded, seeded);
    assert_eq!(
        rhai_value(
            &dir,
            r#"shard_router("modulo", #{seed: 0}).route(42, 1000)"#
        ),
        unseeded.to_string()
    );
    assert_eq!(
        rhai_value(
            &dir,
            r#"shard_router("modulo", #{seed: 7}).route(42, 1000)"#
        ),
        seeded.to_string()
    );

    // Errors reach the script as exceptions it can catch.
    let out = rhai(
        &dir,
        r#"
        let r = shard_router("modulo");
        let by_float = ""; try { r.route(1.5, 8); } catch (e) { by_float = e; }
        let by_zero = ""; try { r.route(1, 0); } catch (e) { by_zero = e; }
        let by_settings = ""; try { shard_router("modulo", #{sead: 7}); } catch (e) { by_settings = e; }
        print("float: " + by_float);
        print("zero: " + by_zero);
        print("settings: " + by_settings);
        "#,
    );
    let float = lines_with(&out, "float: ");
    assert!(
        float.len() == 1 && float[0].contains("cannot route a float key"),
        "{out}"
    );
    let zero = lines_with(&out, "zero: ");
    assert!(zero.len() == 1 && zero[0].contains("at least 1"), "{out}");
    let settings = lines_with(&out, "settings: ");
    assert!(
        settings.len() == 1
            && settings[0].contains("`modulo`")
            && settings[0].contains("unknown field `sead`"),
        "{out}"
    );
}

#[test]
fn panics_in_a_statement_and_in_an_opener_are_errors_and_the_host_goes_on() {
    let dir = plugin_dir("c2-panicky", fixture_plugins(), &["panicky"]);

    // Describing the plugin runs none of its code: listing works.
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("driver:panicky") && out.stdout.contains("shard:panicky-open"),
        "{}",
        out.stdout
    );

    let out = rhai(
        &dir,
        r#"
        let p = connect("panicky://x");
        let first = ""; try { p.query("SELECT 1"); } catch (e) { first = e; }
        let again = ""; try { p.execute("SELECT 1"); } catch (e) { again = e; }
        let opener = ""; try { shard_router("panicky-open"); } catch (e) { opener = e; }
        print("first: " + first);
        print("again: " + again);
        print("opener: " + opener);
        print("after: " + connect("sqlite::memory:").query_value("SELECT 40 + 2"));
        "#,
    );
    let first = lines_with(&out, "first: ");
    assert!(
        first.len() == 1
            && first[0].contains("plugin panicked: deliberate panic in the panicky plugin"),
        "{out}"
    );
    let again = lines_with(&out, "again: ");
    assert!(
        again.len() == 1 && again[0].contains("unusable"),
        "a connection that panicked is not used again: {out}"
    );
    let opener = lines_with(&out, "opener: ");
    assert!(
        opener.len() == 1
            && opener[0].contains(
                "plugin panicked: deliberate panic opening the panicky-open shard router"
            ),
        "{out}"
    );
    assert!(out.contains("after: 42"), "{out}");
}

#[test]
fn a_contract_1_plugin_is_refused_in_one_line_naming_both_versions() {
    let dir = plugin_dir("c2-bad", fixture_plugins(), &["bad_contract"]);
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = lines_with(&out.stderr, &plugin_file("bad_contract"));
    assert_eq!(refused.len(), 1, "refused once: {}", out.stderr);
    assert!(refused[0].starts_with("refused: "), "{}", out.stderr);
    assert!(
        refused[0].contains("built for myrmex contract 1")
            && refused[0].contains(&format!(
                "this host offers contract {}",
                myrmex_abi::CONTRACT_VERSION
            )),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("driver:sqlite"),
        "the others load: {}",
        out.stdout
    );
}

#[test]
fn the_sqlite_scheme_cannot_be_claimed_by_another_driver() {
    let dir = plugin_dir("c2-thief", fixture_plugins(), &["scheme_thief"]);
    let thief = dir.join(plugin_file("scheme_thief"));
    let bundled = ensure_built().join(plugin_file("sqlite"));
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = lines_with(&out.stderr, &plugin_file("scheme_thief"));
    assert_eq!(refused.len(), 1, "refused once: {}", out.stderr);
    assert!(
        refused[0].contains("`sqlite`")
            && refused[0].contains(&thief.display().to_string())
            && refused[0].contains(&bundled.display().to_string()),
        "names the scheme and both files: {}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("myrmex-scheme-thief"),
        "{}",
        out.stdout
    );

    // sqlite: URLs are still served by the bundled driver.
    assert_eq!(
        rhai_value(
            &dir,
            r#"connect("sqlite::memory:").query_value("SELECT 40 + 2")"#
        ),
        "42"
    );
}

#[test]
fn the_frozen_contract_2_0_plugin_loads_and_routes() {
    let dir = plugin_dir("c2-compat", compat_plugins(), &["compat_shard"]);
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        lines_with(&out.stderr, &plugin_file("compat_shard")).is_empty(),
        "a plugin built against contract 2.0 must load: {}",
        out.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let compat = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "myrmex-compat-shard")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(
        compat["capabilities"][0]["name"], "compat-modulo",
        "{compat}"
    );

    assert_eq!(
        rhai_value(&dir, r#"shard_router("compat-modulo").route(10, 4)"#),
        "2"
    );
    assert_eq!(
        rhai_value(&dir, r#"shard_router("compat-modulo").route(-1, 4)"#),
        "3"
    );
    let out = rhai(
        &dir,
        r#"
        let caught = "";
        try { shard_router("compat-modulo").route("text", 4); } catch (e) { caught = e; }
        print("caught: " + caught);
        "#,
    );
    assert!(out.contains("cannot route a text key"), "{out}");
}

/// Copies the frozen 2.0 fixture, makes its contract a *later* minor than this host's (3 more
/// minors, with a method appended to `Connection`, as a later contract would), builds it, and
/// returns the directory of its library.
fn future_minor_plugin() -> PathBuf {
    let src = workspace_root().join("tests/fixtures/compat-2.0");
    let base = profile_dir()
        .parent()
        .expect("target dir")
        .join("fixtures-future");
    let copy = base.join("src");
    let _ = std::fs::remove_dir_all(&copy);
    copy_tree(&src, &copy);
    let minor = myrmex_abi::CONTRACT_MINOR + 3;
    let abi_toml = copy.join("abi/Cargo.toml");
    let text = std::fs::read_to_string(&abi_toml).unwrap();
    assert!(text.contains("version = \"2.0.0\""), "{text}");
    std::fs::write(
        &abi_toml,
        text.replace("version = \"2.0.0\"", &format!("version = \"2.{minor}.0\"")),
    )
    .unwrap();
    let driver_rs = copy.join("abi/src/driver.rs");
    let text = std::fs::read_to_string(&driver_rs).unwrap();
    let close = "    fn close(&mut self) -> RResult<(), PluginError>;\n}";
    assert!(
        text.contains(close),
        "the frozen Connection trait ends with close()"
    );
    std::fs::write(
        &driver_rs,
        text.replacen(
            close,
            "    fn close(&mut self) -> RResult<(), PluginError>;\n\n    /// A method of a later contract.\n    fn later(&mut self) -> RResult<(), PluginError> {\n        RResult::ROk(())\n    }\n}",
            1,
        ),
    )
    .unwrap();
    let _ = std::fs::remove_file(copy.join("Cargo.lock"));
    std::fs::copy(src.join("Cargo.lock"), copy.join("Cargo.lock")).unwrap();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(copy.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(base.join("target"))
        .status()
        .expect("run cargo build for the later-minor plugin");
    assert!(
        status.success(),
        "cargo build of the later-minor copy failed"
    );
    base.join("target/debug")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_plugin_built_for_a_later_minor_is_refused_in_one_line() {
    let dir = plugin_dir("c2-future", &future_minor_plugin(), &["compat_shard"]);
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = lines_with(&out.stderr, &plugin_file("compat_shard"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    assert!(
        refused[0].contains(&format!(
            "rebuild the plugin against myrmex-abi 2.{} or earlier, or upgrade myrmex",
            myrmex_abi::CONTRACT_MINOR
        )) && refused[0].contains(&format!("2.{}.0", myrmex_abi::CONTRACT_MINOR + 3)),
        "{}",
        out.stderr
    );
    // The bundled drivers still load and work.
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "-e",
        "connect(\"sqlite::memory:\").query_value(\"SELECT 7\")",
    ]));
    assert_eq!((out.code, out.stdout.trim()), (0, "7"), "{}", out.stderr);
}
