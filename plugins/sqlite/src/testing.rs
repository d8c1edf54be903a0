//! What the tests share: database files of their own and connection options.

use myrmex_abi::Tuple2;
use myrmex_plugin::ConnectOptions;

/// A fresh database path for the test `name`, in the temporary directory (files left by an
/// earlier run are removed).
pub fn db_path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("myrmex-sqlite-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    let path = dir.join(format!("{name}.db")).display().to_string();
    for suffix in ["", "-wal", "-shm", "-journal", ".myrmex-lock", ".target"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    path
}

/// Options opening `database` with `options`.
pub fn options(database: &str, options: &[(&str, &str)]) -> ConnectOptions {
    ConnectOptions {
        db_type: "sqlite".into(),
        database: database.into(),
        options: options
            .iter()
            .map(|(k, v)| Tuple2((*k).into(), (*v).into()))
            .collect(),
        ..Default::default()
    }
}
