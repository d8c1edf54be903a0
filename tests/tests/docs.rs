//! docs/rhai-api.md is executable: every `rhai` block runs, every function is documented.

use myrmex_tests::*;

fn blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```rhai") => current = Some((i + 1, String::new())),
            (Some(_), l) if l.starts_with("```") => out.push(current.take().expect("open block")),
            (Some((_, code)), _) => {
                code.push_str(line);
                code.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_rhai_example_in_the_api_reference_runs() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/rhai-api.md")).unwrap();
    let examples = blocks(&doc);
    assert!(examples.len() > 20, "found {} examples", examples.len());
    // The shard router examples use the out-of-tree `modulo` router, as a user who installed
    // it would.
    let routers = temp_dir("doc-routers");
    std::fs::copy(
        fixture_plugins().join(plugin_file("oot_shard")),
        routers.join(plugin_file("oot_shard")),
    )
    .unwrap();
    for (line, code) in examples {
        let dir = temp_dir("doc");
        // The migration examples use ./migrations: the example set from scripts/.
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        for e in std::fs::read_dir(workspace_root().join("scripts/migrations")).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, migrations.join(p.file_name().unwrap())).unwrap();
        }
        std::fs::write(
            dir.join("myrmex.toml"),
            "[connections.app]\nurl = \"sqlite::memory:\"\n",
        )
        .unwrap();
        let out = run(myrmex()
            .current_dir(&dir)
            .env("MYRMEX_DOC_TMP", &dir)
            .arg("--plugin-dir")
            .arg(&routers)
            .arg("-e")
            .arg(&code));
        assert_eq!(
            out.code, 0,
            "docs/rhai-api.md example at line {line} failed:\n{code}\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        );
    }
}

#[test]
fn every_function_is_documented() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/rhai-api.md")).unwrap();
    let out = run(myrmex().args(["--format", "json", "-e", "functions()"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names: Vec<String> = serde_json::from_str(out.stdout.trim()).unwrap();
    assert!(names.len() > 30, "{names:?}");
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| {
            !doc.contains(&format!("`{n}"))
                && !doc.contains(&format!(".{n}("))
                && !doc.contains(&format!("{n}("))
        })
        .collect();
    assert!(missing.is_empty(), "not in docs/rhai-api.md: {missing:?}");
}
