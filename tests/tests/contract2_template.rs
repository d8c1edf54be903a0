//! The plugin guide's walk-through, done as a third party does it: copy `templates/plugin`
//! out of the repository, point its kit dependency at this checkout, build it, see it
//! loaded with `plugins -v`, and use its router from Rhai (`-e` and `run`) and from the
//! command line.

use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Copies the directory `from` to `to`, leaving out build output (`target`).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &dest);
            }
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Copies the template, makes its kit dependency resolve from the copy, and builds it;
/// returns a plugin directory holding only the built library.
fn build_template_copy() -> PathBuf {
    let copy = temp_dir("c2-template").join("myrmex-range");
    copy_tree(&workspace_root().join("templates/plugin"), &copy);

    // The template's path dependency resolves inside the repository only: a copy points it
    // at a checkout, as the guide says.
    let manifest = copy.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let in_repo = r#"myrmex-plugin = { path = "../../core/plugin" }"#;
    assert!(
        text.contains(in_repo),
        "the template names the kit as the guide says: {text}"
    );
    let kit = workspace_root().join("core/plugin");
    let text = text.replace(
        in_repo,
        &format!(
            "myrmex-plugin = {{ path = {:?} }}",
            kit.display().to_string()
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    // The fixtures' lockfile holds every dependency the template has, so the build needs no
    // registry access; cargo drops the entries the copy does not use.
    std::fs::copy(
        workspace_root().join("tests/fixtures/Cargo.lock"),
        copy.join("Cargo.lock"),
    )
    .unwrap();

    // The fixtures' target directory, so that the dependencies compile once per checkout.
    let target = profile_dir().parent().expect("target dir").join("fixtures");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&copy)
        .args(["build", "--quiet", "--target-dir"])
        .arg(&target)
        .status()
        .expect("run cargo build in the template copy");
    assert!(status.success(), "cargo build of the template copy failed");

    let dir = temp_dir("c2-template-lib");
    std::fs::copy(
        target.join("debug").join(plugin_file("range")),
        dir.join(plugin_file("range")),
    )
    .unwrap();
    dir
}

#[test]
fn the_template_copied_out_of_tree_builds_loads_and_routes() {
    let dir = build_template_copy();

    // myrmex --plugin-dir target/debug plugins -v
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["plugins", "-v"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("myrmex-range"), "{}", out.stdout);
    assert!(out.stdout.contains("shard:range"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("{}: loaded", plugin_file("range"))),
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains(&plugin_file("range")),
        "not refused: {}",
        out.stderr
    );

    // myrmex -e 'shard_router("range", #{bounds: [100, 1000]}).route(42, 3)'
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "-e",
        r#"shard_router("range", #{bounds: [100, 1000]}).route(42, 3)"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "0");

    // myrmex run route.rhai
    let script = dir.join("route.rhai");
    std::fs::write(
        &script,
        r#"
let router = shard_router("range", #{ bounds: [100, 1000] });
for key in [42, 500, 5000] {
    print(`${key} -> shard ${router.route(key, 3)}`);
}
"#,
    )
    .unwrap();
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .arg("run")
        .arg(&script));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for line in ["42 -> shard 0", "500 -> shard 1", "5000 -> shard 2"] {
        assert!(out.stdout.contains(line), "{}", out.stdout);
    }

    // myrmex shard route range 500 --shards 3 --key-type int --settings '{"bounds": [100, 1000]}'
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "shard",
        "route",
        "range",
        "500",
        "--shards",
        "3",
        "--key-type",
        "int",
        "--settings",
        r#"{"bounds": [100, 1000]}"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "1");

    // Wrong settings and keys are errors naming the router.
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["-e", r#"shard_router("range", #{bount: [1]})"#]));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("`range`") && out.stderr.contains("unknown field `bount`"),
        "{}",
        out.stderr
    );
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "-e",
        r#"shard_router("range", #{bounds: [100, 1000]}).route("x", 3)"#,
    ]));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("cannot route a text key"),
        "{}",
        out.stderr
    );
}
