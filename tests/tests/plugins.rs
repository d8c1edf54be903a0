//! Loading real plugins from disk: search order, side-by-side loading, one-line refusals,
//! panic containment, and the out-of-tree plugin built against `myrmex-abi` only.

use myrmex_core::plugin::{Registry, SearchPath};
use myrmex_core::{DatabaseConnection, Value};
use myrmex_tests::*;
use std::path::PathBuf;

/// How many plugins the workspace builds (all load from the build directory).
fn built_plugins() -> usize {
    let n = registry().plugins().len();
    assert!(n >= 3, "sqlite, postgres and mysql are built");
    n
}

fn search(dirs: &[PathBuf]) -> SearchPath {
    let mut s = SearchPath::new();
    s.extend(dirs.iter().cloned());
    s
}

#[test]
fn sqlite_plugin_loads_from_disk_and_serves_queries() {
    let reg = registry();
    assert!(reg.refusals().is_empty(), "{:?}", reg.refusals());
    let p = reg
        .plugins()
        .iter()
        .find(|p| p.name == "myrmex-sqlite")
        .expect("sqlite plugin loaded");
    assert_eq!(p.contract, myrmex_abi::CONTRACT_VERSION);
    assert!(p.path.ends_with(plugin_file("sqlite")));
    let mut c = DatabaseConnection::from_url("mem", "sqlite::memory:").unwrap();
    c.connect_with(&reg).unwrap();
    let rs = c
        .execute_query("SELECT 1 + ? AS two", &[Value::Int(1)])
        .unwrap();
    assert_eq!(rs.get(0, "two"), Some(&Value::Int(2)));
}

#[test]
fn out_of_tree_plugin_loads_beside_sqlite_and_works() {
    let fixtures = fixture_plugins();
    let dir = temp_dir("oot");
    std::fs::copy(
        fixtures.join(plugin_file("oot_shard")),
        dir.join(plugin_file("oot_shard")),
    )
    .unwrap();
    let reg = Registry::load(search(&[dir.clone(), ensure_built().to_path_buf()]));
    assert!(reg.refusals().is_empty(), "{:?}", reg.refusals());
    let names: Vec<&str> = reg.plugins().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names[0], "myrmex-oot-shard", "flag directories come first");
    assert!(names.contains(&"myrmex-sqlite"), "{names:?}");
    assert_eq!(names.len(), 1 + built_plugins());
    let router = reg.open_shard("modulo", "").unwrap();
    let a = router
        .route(&Value::Text("customer-42".into()), 8)
        .into_result()
        .unwrap();
    assert!(a < 8);
    assert_eq!(
        a,
        router
            .route(&Value::Text("customer-42".into()), 8)
            .into_result()
            .unwrap()
    );
    let err = router
        .route(&Value::Float(1.0), 8)
        .into_result()
        .unwrap_err();
    assert!(err.message.contains("cannot route a float key"), "{err}");

    // And through the binary, with --plugin-dir.
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("myrmex-oot-shard") && out.stdout.contains("shard:modulo"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("driver:sqlite"), "{}", out.stdout);
}

#[test]
fn incompatible_contract_is_refused_in_one_line_and_others_load() {
    let fixtures = fixture_plugins();
    let dir = temp_dir("bad");
    std::fs::copy(
        fixtures.join(plugin_file("bad_contract")),
        dir.join(plugin_file("bad_contract")),
    )
    .unwrap();
    let reg = Registry::load(search(&[dir.clone(), ensure_built().to_path_buf()]));
    assert_eq!(
        reg.plugins().len(),
        built_plugins(),
        "the real plugins still load"
    );
    assert_eq!(reg.refusals().len(), 1);
    let line = reg.refusals()[0].to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.contains(&plugin_file("bad_contract")), "{line}");
    assert!(line.contains("built for myrmex contract 999"), "{line}");
    assert!(
        line.contains(&format!(
            "this host offers contract {}",
            myrmex_abi::CONTRACT_VERSION
        )),
        "{line}"
    );

    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    assert_eq!(out.code, 0);
    let refusals: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("refused:"))
        .collect();
    assert_eq!(refusals.len(), 1, "{}", out.stderr);
    assert!(
        refusals[0].contains("built for myrmex contract 999"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("driver:sqlite"));
}

#[test]
fn duplicate_capability_names_both_files() {
    let a = temp_dir("dup-a");
    let b = temp_dir("dup-b");
    for d in [&a, &b] {
        std::fs::copy(
            ensure_built().join(plugin_file("sqlite")),
            d.join(plugin_file("sqlite")),
        )
        .unwrap();
    }
    let reg = Registry::load(search(&[a.clone(), b.clone()]));
    assert_eq!(reg.plugins().len(), 1);
    assert_eq!(reg.plugins()[0].path, a.join(plugin_file("sqlite")));
    let line = reg.refusals()[0].to_string();
    assert!(
        line.contains(&b.join(plugin_file("sqlite")).display().to_string()),
        "{line}"
    );
    assert!(
        line.contains(&a.join(plugin_file("sqlite")).display().to_string()),
        "{line}"
    );
    assert!(
        line.contains("duplicate driver capability `sqlite`"),
        "{line}"
    );
}

#[test]
fn non_plugins_are_refused_without_stopping_the_rest() {
    let dir = temp_dir("junk");
    std::fs::write(dir.join(plugin_file("text")), "this is not a library").unwrap();
    // A real shared library that is not a myrmex plugin: the fixture that exports only a
    // symbol table without the abi header would do, but any system library proves the point.
    let libz = [
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/libz.so.1",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if let Some(z) = &libz {
        std::fs::copy(z, dir.join(plugin_file("zlib"))).unwrap();
    }
    let reg = Registry::load(search(&[dir.clone(), ensure_built().to_path_buf()]));
    assert_eq!(reg.plugins().len(), built_plugins());
    let text = reg
        .refusals()
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        reg.refusals().len(),
        1 + usize::from(libz.is_some()),
        "{text}"
    );
    for r in reg.refusals() {
        assert!(r.reason.starts_with("not a myrmex plugin"), "{r}");
        assert!(!r.to_string().contains('\n'), "{r}");
    }
}

#[test]
fn a_panicking_plugin_is_an_error_and_the_host_goes_on() {
    let fixtures = fixture_plugins();
    let dir = temp_dir("panicky");
    std::fs::copy(
        fixtures.join(plugin_file("panicky")),
        dir.join(plugin_file("panicky")),
    )
    .unwrap();
    let reg = Registry::load(search(&[dir.clone(), ensure_built().to_path_buf()]));
    assert!(reg.refusals().is_empty(), "{:?}", reg.refusals());
    let mut c = DatabaseConnection::from_url("p", "panicky://x").unwrap();
    c.connect_with(&reg).unwrap();
    let err = c.execute("SELECT 1", &[]).unwrap_err().to_string();
    assert!(err.contains("plugin panicked: deliberate panic"), "{err}");
    assert!(err.starts_with("p: "), "names the connection: {err}");
    // The connection is poisoned; other connections and plugins keep working.
    let again = c.execute("SELECT 1", &[]).unwrap_err().to_string();
    assert!(again.contains("unusable after a plugin panic"), "{again}");
    let mut s = DatabaseConnection::from_url("s", "sqlite::memory:").unwrap();
    s.connect_with(&reg).unwrap();
    assert_eq!(
        s.execute_query("SELECT 7", &[]).unwrap().row(0).unwrap()[0],
        Value::Int(7)
    );

    // Through the binary: a Rhai exception, caught by the script; the process exits normally.
    let script = r#"
        let p = connect("panicky://x");
        let caught = "";
        try { p.query("SELECT 1"); } catch (e) { caught = e; }
        print("caught: " + caught);
        let s = connect("sqlite::memory:");
        print("after: " + s.query_value("SELECT 40 + 2"));
    "#;
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("-e").arg(script));
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout
            .contains("caught: panicky: plugin panicked: deliberate panic"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("after: 42"), "{}", out.stdout);
}

#[test]
fn missing_driver_error_says_what_is_loaded() {
    let reg = registry();
    let mut c = DatabaseConnection::from_url("pg", "postgres://u:secretpw@h/d").unwrap();
    let e = c.connect_with(&reg).unwrap_err().to_string();
    if reg
        .plugins()
        .iter()
        .all(|p| p.capabilities.iter().all(|c| c.name != "postgres"))
    {
        assert!(
            e.contains("no driver for `postgres`") && e.contains("sqlite"),
            "{e}"
        );
    }
    assert!(!e.contains("secretpw"), "{e}");
}

#[test]
fn search_order_prefers_flags_then_env() {
    let flag = PathBuf::from("/flag-dir");
    std::env::set_var(myrmex_core::plugin::PLUGIN_PATH_ENV, "/env-a:/env-b");
    let s = SearchPath::standard(std::slice::from_ref(&flag), &[PathBuf::from("/config-dir")]);
    std::env::remove_var(myrmex_core::plugin::PLUGIN_PATH_ENV);
    let dirs = s.dirs();
    assert_eq!(
        &dirs[..4],
        &[flag, "/env-a".into(), "/env-b".into(), "/config-dir".into()]
    );
    assert!(
        dirs[4].ends_with("deps"),
        "then the executable's directory: {dirs:?}"
    );
}
