//! The host names no engine: everything that differs between engines lives in its driver
//! plugin. A string or identifier naming an engine in `core/runtime` (outside comments) fails
//! this test, so a fourth driver always gets schema, migrations and locking unchanged.

use myrmex_tests::workspace_root;
use std::path::Path;

const ENGINES: [&str; 5] = ["sqlite", "postgres", "mysql", "mariadb", "pg_"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_runtime_names_no_engine() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("core/runtime/src"), &mut files);
    assert!(files.len() > 10, "found the host's sources");
    let mut found = Vec::new();
    for file in &files {
        let stem = file.file_stem().unwrap().to_string_lossy().to_lowercase();
        if ENGINES.iter().any(|e| stem.contains(e)) {
            found.push(format!(
                "{}: a module named after an engine",
                file.display()
            ));
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let lower = code.to_lowercase();
            if let Some(e) = ENGINES.iter().find(|e| lower.contains(*e)) {
                found.push(format!(
                    "{}:{}: names `{e}`: {}",
                    file.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "core/runtime names engines:\n{}",
        found.join("\n")
    );
}
