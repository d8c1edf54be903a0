//! The proof that the host names no engine: the SQLite plugin, copied out of the tree under
//! another crate name, driver name and URL scheme (`lite`), built the way a third party
//! builds a plugin, passes the conformance suite (schema round trip and migrations
//! included) and serves `myrmex migrate` and `myrmex schema` with no change to the host.

use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Copies the SQLite driver's sources from `from` to `to` (modules in folders included),
/// renaming its driver and audit rule set in `lib.rs` and its `db_type` in `driver.rs`.
fn copy_source(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_source(&entry.path(), &to.join(entry.file_name()));
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = match entry.file_name().to_str() {
            Some("lib.rs") => text
                .replace(
                    r#"driver "sqlite" ("sqlite", "sqlite3"): "SQLite (bundled)""#,
                    r#"driver "lite" ("lite"): "SQLite under another name, built out of tree""#,
                )
                // Its audit rule set too: names are unique per kind.
                .replace(r#"audit "sqlite" ("sqlite")"#, r#"audit "lite" ("lite")"#)
                .replace(
                    r#"backup "sqlite-online" ("sqlite")"#,
                    r#"backup "lite-online" ("lite")"#,
                ),
            Some("driver.rs") => text.replace(
                r#"options.db_type = "sqlite".into();"#,
                r#"options.db_type = "lite".into();"#,
            ),
            _ => text,
        };
        std::fs::write(to.join(entry.file_name()), text).unwrap();
    }
}

/// Copies `plugins/sqlite` to `target/fourth-driver/myrmex-lite`, renames it, builds it, and
/// returns the directory holding only its library.
fn lite_plugin() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = workspace_root();
        let base = target_dir().join("fourth-driver");
        let src = base.join("myrmex-lite");
        let _ = std::fs::remove_dir_all(src.join("src"));
        std::fs::create_dir_all(src.join("src")).unwrap();
        copy_source(&root.join("plugins/sqlite/src"), &src.join("src"));
        let lib = std::fs::read_to_string(src.join("src/lib.rs")).unwrap();
        assert!(
            lib.contains(r#"driver "lite""#) && lib.contains(r#"audit "lite" ("lite")"#),
            "the declarations were renamed"
        );
        let path = |p: &str| root.join(p).display().to_string();
        std::fs::write(
            src.join("Cargo.toml"),
            format!(
                r#"[package]
name = "myrmex-lite"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
myrmex-abi = {{ path = "{}" }}
myrmex-plugin = {{ path = "{}" }}
rusqlite = {{ version = "0.37", features = ["bundled", "column_decltype", "backup"] }}
libc = "0.2"
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[workspace]
"#,
                path("core/abi"),
                path("core/plugin")
            ),
        )
        .unwrap();
        // The main lock file pins the same dependency versions, so no network is needed.
        std::fs::copy(root.join("Cargo.lock"), src.join("Cargo.lock")).unwrap();
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--quiet", "--offline", "--manifest-path"])
                .arg(src.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(base.join("target"))
                .status()
                .expect("run cargo build for the copied plugin");
        assert!(
            status.success(),
            "cargo build of the copied SQLite plugin failed"
        );
        let only = base.join("plugin");
        let _ = std::fs::remove_dir_all(&only);
        std::fs::create_dir_all(&only).unwrap();
        let file = plugin_file("lite");
        std::fs::copy(base.join("target/debug").join(&file), only.join(&file)).unwrap();
        only
    })
}

#[test]
fn a_copied_driver_under_another_scheme_passes_the_conformance_suite() {
    let dir = temp_dir("fourth");
    let url = format!("lite://{}", dir.join("c.db").display());
    myrmex_plugin_test::Suite::new(&url)
        .plugin_dir(lite_plugin())
        .run_all();
}

#[test]
fn the_copied_driver_serves_migrations_and_schema_from_the_binary() {
    let dir = temp_dir("fourth-cli");
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("V1__books.sql"),
        "-- +up\nCREATE TABLE books (id integer PRIMARY KEY, title varchar(80) NOT NULL);\n-- +down\nDROP TABLE books;\n",
    )
    .unwrap();
    let url = format!("lite://{}", dir.join("app.db").display());
    let lite = |args: &[&str]| run(myrmex().arg("--plugin-dir").arg(lite_plugin()).args(args));
    let out = lite(&["plugins"]);
    assert!(out.stdout.contains("driver:lite"), "{}", out.stdout);
    let out = lite(&[
        "migrate",
        "up",
        "--db",
        &url,
        "--dir",
        migrations.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = lite(&[
        "migrate",
        "status",
        "--db",
        &url,
        "--dir",
        migrations.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("applied"), "{}", out.stdout);
    // Audit, with no change to the host: the driver's own rule set and the portable ones.
    let out = lite(&["audit", &url, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("audit JSON ({e}): {}\n{}", out.stdout, out.stderr));
    let sets = report["rule_sets"].to_string();
    assert!(
        sets.contains("\"lite\"") && sets.contains("\"schema\""),
        "{sets}"
    );
    assert!(report["not_run"].as_array().unwrap().is_empty(), "{report}");
    // Monitoring too: the server statistics come from the driver, the host adds nothing.
    let out = lite(&["monitor", &url, "--once", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("database_size_bytes"),
        "the copied driver's own statistics: {}",
        out.stdout
    );
    let out = lite(&["audit", "statements", "-", "--engine", "lite"]);
    assert_eq!(out.code, 0, "no statements, no findings: {}", out.stderr);
    let out = lite(&["schema", "inspect", "--db", &url]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("books") && out.stdout.contains("title"),
        "{}",
        out.stdout
    );
    let out = lite(&[
        "-e",
        &format!(r#"let db = connect("{url}"); db.query_value("SELECT count(*) FROM books")"#),
    ]);
    assert_eq!((out.code, out.stdout.trim()), (0, "0"), "{}", out.stderr);
    let out = lite(&[
        "migrate",
        "down",
        "--db",
        &url,
        "--dir",
        migrations.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}
