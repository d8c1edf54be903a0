//! A third-party audit rule set, built out of the tree from `templates/audit-plugin` the way
//! the plugin guide says, then used from Rhai and the command line: its statement rule
//! through `audit_statements` and `myrmex audit statements`, its connection rule (with
//! settings) through `audit(db)` and `myrmex audit URL`, as the statement guard, and in
//! SARIF output.

use myrmex_tests::*;

#[test]
fn an_out_of_tree_rule_set_runs_from_rhai_the_cli_and_the_guard() {
    let dir = build_template_copy(
        "templates/audit-plugin",
        "myrmex-house-rules",
        "house_rules",
    );
    let work = temp_dir("audit-template-work");
    let db = work.join("app.db");
    let url = format!("sqlite://{}", db.display());

    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args(["plugins"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("audit:house"), "{}", out.stdout);

    // Statements from Rhai: the `*` in a comment or a string is not a finding.
    let out = run(myrmex().arg("--plugin-dir").arg(&dir).args([
        "-e",
        r#"let r = audit_statements("SELECT * FROM t; SELECT a FROM t /* * */; SELECT '*'", (), #{rules: ["house"], fail_on: "low"});
           `${r.findings.len()} ${r.findings[0].rule} ${r.passed}`"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "1 select-star false");

    // The connection rule with its settings, from a script.
    let script = work.join("audit.rhai");
    std::fs::write(
        &script,
        format!(
            r#"
let db = connect("{url}");
db.execute("CREATE TABLE app_users(id INTEGER PRIMARY KEY)");
db.execute("CREATE TABLE legacy(id INTEGER PRIMARY KEY)");
let r = audit(db, #{{ rules: ["house"], settings: #{{ house: #{{ prefix: "app_" }} }} }});
for f in r.findings {{ print(`${{f.rule_set}}/${{f.rule}} ${{f.object}} ${{f.severity}}`); }}
print(`passed=${{r.passed}}`);
"#
        ),
    )
    .unwrap();
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .arg("run")
        .arg(&script));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("house/table-prefix legacy medium"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("app_users"), "{}", out.stdout);
    assert!(
        out.stdout.contains("passed=true"),
        "medium is below high: {}",
        out.stdout
    );

    // The CLI: exit 1 at --fail-on medium, SARIF output, a baseline silencing what is known.
    let cli = |extra: &[&str]| {
        let mut c = myrmex();
        c.arg("--plugin-dir")
            .arg(&dir)
            .args(["audit", &url, "--rules", "house"]);
        c.args(["--settings", r#"house={"prefix": "app_"}"#]);
        c.args(extra);
        run(&mut c)
    };
    let out = cli(&["--fail-on", "medium"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("table-prefix"), "{}", out.stdout);
    let out = cli(&["--format", "sarif"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "house/table-prefix"
    );
    let baseline = work.join("baseline.json");
    let out = cli(&["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = cli(&[
        "--fail-on",
        "medium",
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 suppressed"), "{}", out.stdout);

    // Statements from a file, with their line.
    let sql = work.join("report.sql");
    std::fs::write(&sql, "SELECT id FROM app_users;\n\nSELECT * FROM legacy;\n").unwrap();
    let out = run(myrmex()
        .arg("--plugin-dir")
        .arg(&dir)
        .args(["audit", "statements"])
        .arg(&sql)
        .args(["--fail-on", "low"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("report.sql:3:1"), "{}", out.stdout);

    // As the statement guard: denied at low, allowed by a comment or --allow.
    let config = work.join("myrmex.toml");
    std::fs::write(
        &config,
        "[audit.guard]\nenabled = true\ndeny_at = \"low\"\nrule_sets = [\"house\"]\n",
    )
    .unwrap();
    let guarded = |code: &str, extra: &[&str]| {
        let mut c = myrmex();
        c.arg("--plugin-dir").arg(&dir).arg("--config").arg(&config);
        c.args(extra).args(["-e", code]);
        run(&mut c)
    };
    let q = format!(r#"connect("{url}").query("SELECT * FROM legacy").len()"#);
    let out = guarded(&q, &[]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("refused by audit rule house/select-star")
            && out.stderr.contains("myrmex:allow select-star"),
        "{}",
        out.stderr
    );
    let out = guarded(
        &format!(
            r#"connect("{url}").query("SELECT * FROM legacy -- myrmex:allow select-star").len()"#
        ),
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = guarded(&q, &["--allow", "house/select-star"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}
