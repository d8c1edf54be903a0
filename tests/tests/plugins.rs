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
    let router = myrmex_core::ShardRouter::open(&reg, "modulo", "").unwrap();
    let a = router.route(&Value::Text("customer-42".into()), 8).unwrap();
    assert!(a < 8);
    assert_eq!(
        a,
        router.route(&Value::Text("customer-42".into()), 8).unwrap()
    );
    let err = router.route(&Value::Float(1.0), 8).unwrap_err();
    assert!(
        err.to_string().contains("cannot route a float key"),
        "{err}"
    );

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
    assert!(line.contains("built for myrmex contract 1,"), "{line}");
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
        refusals[0].contains("built for myrmex contract 1,"),
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
    let mut c = DatabaseConnection::from_url_with("p", "panicky://x", &reg).unwrap();
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
    let s = SearchPath::standard(
        std::slice::from_ref(&flag),
        &[PathBuf::from("/config-dir")],
        Some(std::path::Path::new("/etc/myrmex/myrmex.toml")),
    );
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

/// Compiles C `source` into `dir/name` as a shared library with the system C compiler.
fn compile_c(dir: &std::path::Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let lib = dir.join(name);
    let out = run(std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src));
    assert_eq!(out.code, 0, "cc failed: {}", out.stderr);
    std::fs::remove_file(&src).unwrap();
    lib
}

/// C source of a library whose constructor creates `marker`, plus `extra` C code.
fn constructor_source(marker: &std::path::Path, extra: &str) -> String {
    format!(
        "#include <stdio.h>\n\
         __attribute__((constructor)) static void planted(void) {{\n\
           FILE *f = fopen(\"{}\", \"w\"); if (f) fclose(f);\n\
         }}\n{extra}\n",
        marker.display()
    )
}

/// Lines of `text` that contain `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn a_planted_library_never_runs_its_constructor() {
    let dir = temp_dir("evil");
    let marker = temp_dir("evil-marker").join("constructor-ran");
    compile_c(
        &dir,
        &plugin_file("evil"),
        &constructor_source(&marker, "int something_else = 1;"),
    );

    // Named with --plugin-dir: inspected and refused without being loaded.
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["-e", "40 + 2"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "42");
    let refused = lines_with(&out.stderr, &plugin_file("evil"));
    assert_eq!(refused.len(), 1, "refused once: {}", out.stderr);
    assert!(refused[0].contains("not a myrmex plugin"), "{}", out.stderr);
    assert!(!marker.exists(), "the constructor ran (--plugin-dir)");

    // Through MYRMEX_PLUGIN_PATH, with `myrmex plugins`.
    let out = run(myrmex().env("MYRMEX_PLUGIN_PATH", &dir).arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = lines_with(&out.stderr, &plugin_file("evil"));
    assert_eq!(refused.len(), 1, "refused once: {}", out.stderr);
    assert!(refused[0].starts_with("refused: "), "{}", out.stderr);
    assert!(!marker.exists(), "the constructor ran (MYRMEX_PLUGIN_PATH)");

    // A myrmex.toml found in the working directory cannot add plugin directories at all.
    std::fs::write(dir.join("myrmex.toml"), "plugin_dirs = [\".\"]\n").unwrap();
    for args in [
        &["-e", "1"][..],
        &["plugins"][..],
        &["migrate", "new", "x"][..],
    ] {
        let out = run(myrmex().current_dir(&dir).args(args));
        let ignored = lines_with(&out.stderr, "ignoring plugin_dirs");
        assert_eq!(ignored.len(), 1, "{args:?}: {}", out.stderr);
        assert!(
            ignored[0].contains("myrmex.toml") && ignored[0].contains("--config"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains(&plugin_file("evil")),
            "not even looked at: {}",
            out.stderr
        );
        assert!(
            !marker.exists(),
            "the constructor ran (./myrmex.toml, {args:?})"
        );
    }
    // Other keys of that file still apply.
    std::fs::write(
        dir.join("myrmex.toml"),
        "plugin_dirs = [\".\"]\n[connections.here]\nurl = \"sqlite://here.db\"\n",
    )
    .unwrap();
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["-e", "connection(\"here\").query_value(\"SELECT 6 * 7\")"]));
    assert_eq!(out.stdout.trim(), "42", "{}", out.stderr);
    assert!(!marker.exists());
}

#[test]
fn a_wrong_contract_is_read_from_the_file_without_running_it() {
    let dir = temp_dir("evil-contract");
    let marker = temp_dir("evil-contract-marker").join("constructor-ran");
    compile_c(
        &dir,
        &plugin_file("evil"),
        &constructor_source(&marker, "unsigned int myrmex_contract_version = 7;"),
    );
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!marker.exists(), "the constructor ran");
    let refused = lines_with(&out.stderr, &plugin_file("evil"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    assert!(
        refused[0].contains("built for myrmex contract 7")
            && refused[0].contains(&format!(
                "this host offers contract {}",
                myrmex_abi::CONTRACT_VERSION
            )),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn writable_libraries_and_directories_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("writable");
    let lib = dir.join(plugin_file("sqlite3"));
    std::fs::copy(ensure_built().join(plugin_file("sqlite")), &lib).unwrap();
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };

    mode(&lib, 0o666);
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    let refused = lines_with(&out.stderr, &plugin_file("sqlite3"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    assert!(
        refused[0].contains("writable by group and others (mode 666)"),
        "{}",
        out.stderr
    );

    mode(&lib, 0o644);
    mode(&dir, 0o777);
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
    mode(&dir, 0o755);
    let refused = lines_with(&out.stderr, &plugin_file("sqlite3"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    assert!(
        refused[0].contains(&format!("its directory {}", dir.display()))
            && refused[0].contains("(mode 777)"),
        "{}",
        out.stderr
    );

    // A library owned by another user (only root can give a file away, so this part needs
    // the tests to run as root, as they do in CI's container).
    if std::os::unix::fs::chown(&lib, Some(65534), None).is_ok() {
        let out = run(myrmex().arg("--plugin-dir").arg(&dir).arg("plugins"));
        let refused = lines_with(&out.stderr, &plugin_file("sqlite3"));
        assert_eq!(refused.len(), 1, "{}", out.stderr);
        assert!(refused[0].contains("owned by uid 65534"), "{}", out.stderr);
    }
}

#[test]
fn bundled_drivers_cannot_be_taken_over() {
    let dir = temp_dir("takeover");
    let copy = dir.join(plugin_file("sqlite2"));
    std::fs::copy(ensure_built().join(plugin_file("sqlite")), &copy).unwrap();
    let bundled = ensure_built().join(plugin_file("sqlite"));

    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let sqlite: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "myrmex-sqlite")
        .collect();
    assert_eq!(sqlite.len(), 1, "{}", out.stdout);
    assert_eq!(sqlite[0]["file"], bundled.display().to_string());
    assert_eq!(sqlite[0]["origin"], "bundled");

    let refused = lines_with(&out.stderr, &plugin_file("sqlite2"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    assert!(
        refused[0].contains(&copy.display().to_string())
            && refused[0].contains(&bundled.display().to_string())
            && refused[0].contains("duplicate driver capability `sqlite`"),
        "{}",
        out.stderr
    );

    // sqlite:// is still served by the bundled driver.
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "-e",
        "connect(\"sqlite::memory:\").query_value(\"SELECT 40 + 2\")",
    ]));
    assert_eq!(out.stdout.trim(), "42", "{}", out.stderr);
}

#[test]
fn plugins_verbose_and_json_show_origins_and_every_file() {
    let dir = temp_dir("verbose");
    std::fs::write(dir.join("README.txt"), "notes").unwrap();
    std::fs::write(dir.join(plugin_file("junk")), "not a library").unwrap();
    let config_home = temp_dir("verbose-xdg");
    let config_dir = config_home.join("myrmex");
    std::fs::create_dir_all(&config_dir).unwrap();
    let user_plugins = temp_dir("verbose-user-plugins");
    std::fs::copy(
        fixture_plugins().join(plugin_file("oot_shard")),
        user_plugins.join(plugin_file("oot_shard")),
    )
    .unwrap();
    let user_config = config_dir.join("myrmex.toml");
    std::fs::write(
        &user_config,
        format!("plugin_dirs = [\"{}\"]\n", user_plugins.display()),
    )
    .unwrap();
    let cwd = temp_dir("verbose-cwd");
    let base = || {
        let mut c = myrmex();
        c.current_dir(&cwd)
            .env("XDG_CONFIG_HOME", &config_home)
            .arg("--plugin-dir")
            .arg(&dir);
        c
    };

    let out = run(base().args(["plugins", "-v"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = &out.stdout;
    assert!(
        report.contains(&format!("{} (flag)", dir.display())),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "{} (config {})",
            user_plugins.display(),
            user_config.display()
        )),
        "the user's config adds plugin directories: {report}"
    );
    assert!(report.contains("(bundled)"), "{report}");
    assert!(
        report.contains("README.txt: skipped: not a plugin file name"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "{}: refused: not a myrmex plugin",
            plugin_file("junk")
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("{}: loaded", plugin_file("oot_shard"))),
        "{report}"
    );
    assert_eq!(
        lines_with(&out.stderr, &plugin_file("junk")).len(),
        1,
        "each refusal once on stderr: {}",
        out.stderr
    );

    let out = run(base().args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let oot = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "myrmex-oot-shard")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(
        oot["origin"],
        format!("config {}", user_config.display()),
        "{oot}"
    );
    assert_eq!(oot["capabilities"][0]["kind"], "shard");
    assert_eq!(oot["capabilities"][0]["name"], "modulo");
    assert_eq!(lines_with(&out.stderr, &plugin_file("junk")).len(), 1);

    // And in Rhai.
    let out = run(base().args([
        "-e",
        "plugins().filter(|p| p.name == \"myrmex-sqlite\")[0].origin",
    ]));
    assert_eq!(out.stdout.trim(), "bundled", "{}", out.stderr);
}

#[test]
fn a_url_scheme_of_a_bundled_driver_cannot_be_claimed() {
    let dir = temp_dir("thief");
    let thief = dir.join(plugin_file("scheme_thief"));
    std::fs::copy(fixture_plugins().join(plugin_file("scheme_thief")), &thief).unwrap();
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = lines_with(&out.stderr, &plugin_file("scheme_thief"));
    assert_eq!(refused.len(), 1, "{}", out.stderr);
    let bundled = ensure_built().join(plugin_file("sqlite"));
    assert!(
        refused[0].contains("URL scheme `sqlite` of driver `thief`")
            && refused[0].contains(&format!("{} (bundled)", bundled.display())),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("myrmex-scheme-thief"),
        "{}",
        out.stdout
    );
}
