//! The plugin guide's walk-through, done as a third party does it: copy `templates/plugin`
//! out of the repository, point its kit dependency at this checkout, build it, see it
//! loaded with `plugins -v`, and use its router from Rhai (`-e` and `run`) and from the
//! command line.

use myrmex_tests::*;

#[test]
fn the_template_copied_out_of_tree_builds_loads_and_routes() {
    let dir = build_template_copy("templates/plugin", "myrmex-range", "range");

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
