//! The security audit end to end, through the binary and Rhai, on every engine: a database
//! audited by its engine's rule set and the portable ones (text, JSON, SARIF, exit codes),
//! statements and migrations linted with file and line, and the statement guard refusing a
//! statement in the shell and in `migrate up` before it reaches the server (the database
//! left as it was).

use myrmex_tests::*;

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

fn rules_found(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}/{}",
                f["rule_set"].as_str().unwrap(),
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn every_engine_is_audited_by_its_own_and_the_portable_rule_sets() {
    for t in targets("audit-e2e") {
        let mut db = t.connect();
        db.execute(
            "CREATE TABLE audit_users(name VARCHAR(40), password VARCHAR(100), card_number VARCHAR(30))",
            &[],
        )
        .unwrap();
        db.execute(
            "INSERT INTO audit_users VALUES ('ann', 'hunter2', '4111111111111111')",
            &[],
        )
        .unwrap();

        let out = run(myrmex().args(["audit", &t.url, "--format", "json"]));
        let report = json(&out);
        let sets: Vec<&str> = report["rule_sets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let own = if t.engine == "mysql" {
            "mysql"
        } else {
            t.engine
        };
        assert!(
            sets.contains(&own) && sets.contains(&"schema"),
            "{}: {sets:?}",
            t.engine
        );
        assert!(
            report["not_run"].as_array().unwrap().is_empty(),
            "{}: every rule set ran: {}",
            t.engine,
            report["not_run"]
        );
        let found = rules_found(&report);
        for rule in [
            "schema/table-without-primary-key",
            "schema/plaintext-password-column",
            "schema/card-number-column",
        ] {
            assert!(
                found.iter().any(|f| f == rule),
                "{}: {rule} in {found:?}",
                t.engine
            );
        }
        // High findings fail the run at the default threshold.
        assert_eq!(out.code, 1, "{}: {}", t.engine, out.stderr);

        // The same from Rhai, and SARIF from the command line.
        let out = run(myrmex().args([
            "-e",
            &format!(
                r#"let r = audit(connect("{}"), #{{ rules: ["schema"] }});
                   `${{r.passed}} ${{r.findings.filter(|f| f.rule == "plaintext-password-column").len()}}`"#,
                t.url
            ),
        ]));
        assert_eq!(out.code, 0, "{}: {}", t.engine, out.stderr);
        assert_eq!(out.stdout.trim(), "false 1", "{}", t.engine);
        let out = run(myrmex().args(["audit", &t.url, "--rules", "schema", "--format", "sarif"]));
        let sarif = json(&out);
        assert_eq!(sarif["version"], "2.1.0");
        assert!(
            sarif["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["ruleId"] == "schema/plaintext-password-column" && r["level"] == "error"),
            "{}",
            out.stdout
        );

        // A rule set for another engine is refused by name (usage, exit 2).
        let other = if t.engine == "sqlite" {
            "postgres"
        } else {
            "sqlite"
        };
        let out = run(myrmex().args(["audit", &t.url, "--rules", other]));
        assert_eq!(out.code, 2, "{}: {}", t.engine, out.stderr);
        assert!(out.stderr.contains(&format!("`{other}`")), "{}", out.stderr);
    }
}

#[test]
fn migrations_are_linted_with_their_file_and_line() {
    let dir = temp_dir("audit-lint");
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("V1__orders.up.sql"),
        "CREATE TABLE orders(id bigint PRIMARY KEY, customer_id bigint);\nCREATE INDEX orders_customer ON orders(customer_id);\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("V2__index.up.sql"),
        "-- a later migration on an existing table\n\nCREATE INDEX orders_id2 ON orders(id, customer_id);\nDELETE FROM orders;\n",
    )
    .unwrap();
    let lint = |extra: &[&str]| {
        run(myrmex()
            .args(["migrate", "lint"])
            .arg(&migrations)
            .args(["--engine", "postgres"])
            .args(extra))
    };
    let out = lint(&["--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    let at = |rule: &str| {
        findings.iter().find(|f| f["rule"] == rule).map(|f| {
            (
                f["location"]["file"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
    };
    // The index on the table created in the same migration is fine; the later one is not.
    let (file, line) = at("index-without-concurrently").expect("index rule fired");
    assert!(file.ends_with("V2__index.up.sql"), "{file}");
    assert_eq!(line, 3);
    assert_eq!(at("delete-without-where").map(|(_, l)| l), Some(4));
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "index-without-concurrently")
            .count(),
        1,
        "{}",
        out.stdout
    );
    // Text output names file:line; a baseline accepts today's findings.
    let out = lint(&[]);
    assert!(
        out.stdout.contains("V2__index.up.sql:4:1"),
        "{}",
        out.stdout
    );
    let baseline = dir.join("baseline.json");
    let out = lint(&["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    let out = lint(&["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

fn count(db: &mut myrmex_core::DatabaseConnection) -> Option<i64> {
    let rows = db
        .execute_query("SELECT count(*) AS n FROM guarded", &[])
        .unwrap();
    match rows.get(0, "n") {
        Some(myrmex_core::Value::Int(n)) => Some(*n),
        _ => None,
    }
}

#[test]
fn the_guard_refuses_before_the_server_sees_the_statement() {
    for t in targets("audit-guard") {
        let dir = temp_dir("audit-guard-cfg");
        let mut db = t.connect();
        db.execute("CREATE TABLE guarded(id INT PRIMARY KEY, v INT)", &[])
            .unwrap();
        db.execute("INSERT INTO guarded VALUES (1, 1), (2, 2)", &[])
            .unwrap();
        let config = dir.join("myrmex.toml");
        std::fs::write(
            &config,
            "[audit.guard]\nenabled = true\n[audit.guard.rules]\n\"statements/update-without-where\" = \"warn\"\n",
        )
        .unwrap();

        // SQL from the command line: refused, with the rule and the way to pass it.
        let out = run(myrmex()
            .arg("--config")
            .arg(&config)
            .arg(&t.url)
            .args(["-c", "DELETE FROM guarded"]));
        assert_ne!(out.code, 0, "{}", t.engine);
        assert!(
            out.stderr.contains("statements/delete-without-where")
                && out.stderr.contains("-- myrmex:allow delete-without-where"),
            "{}: {}",
            t.engine,
            out.stderr
        );
        assert_eq!(count(&mut db), Some(2), "{}", t.engine);

        // A rule set to warn: the statement runs with a warning.
        let out = run(myrmex()
            .arg("--config")
            .arg(&config)
            .arg(&t.url)
            .args(["-c", "UPDATE guarded SET v = 3"]));
        assert_eq!(out.code, 0, "{}: {}", t.engine, out.stderr);
        assert!(
            out.stderr.contains("warning") && out.stderr.contains("update-without-where"),
            "{}",
            out.stderr
        );

        // migrate up: the migration with a refused statement is not applied and leaves the
        // table as it was.
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::write(
            migrations.join("V1__purge.up.sql"),
            "INSERT INTO guarded VALUES (3, 3);\nDROP TABLE guarded;\n",
        )
        .unwrap();
        let out = run(myrmex()
            .current_dir(&dir)
            .arg("--config")
            .arg(&config)
            .args(["migrate", "--db", &t.url, "up"]));
        assert_ne!(out.code, 0, "{}: {}", t.engine, out.stdout);
        assert!(
            out.stderr.contains("statements/drop"),
            "{}: {}",
            t.engine,
            out.stderr
        );
        // The run was refused as a whole before its first statement, on every engine.
        assert_eq!(count(&mut db), Some(2), "{}", t.engine);
        assert!(out.stderr.contains("V1__purge.up.sql:2"), "{}", out.stderr);
        // With the comment, it passes.
        std::fs::write(
            migrations.join("V1__purge.up.sql"),
            "DROP TABLE guarded -- myrmex:allow drop\n",
        )
        .unwrap();
        let out = run(myrmex()
            .current_dir(&dir)
            .arg("--config")
            .arg(&config)
            .args(["migrate", "--db", &t.url, "repair"]));
        assert_eq!(out.code, 0, "{}: {}", t.engine, out.stderr);
        let out = run(myrmex()
            .current_dir(&dir)
            .arg("--config")
            .arg(&config)
            .args(["migrate", "--db", &t.url, "up"]));
        assert_eq!(out.code, 0, "{}: {}\n{}", t.engine, out.stdout, out.stderr);
    }
}
