//! The Quick Start in Rust: connect to SQLite through the plugin, create a table,
//! insert in a transaction, query, and check health through a manager.
//!
//! `cargo run --example quickstart -- [DB_FILE]` (plugins are found next to the executable's
//! profile directory through `MYRMEX_PLUGIN_PATH`, or the standard search path).

use myrmex_core::{ConnectParams, DatabaseConnection, DatabaseManager, Error, Value};

fn main() -> Result<(), Error> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart.db".into());
    let mut db = DatabaseConnection::new("app_db", ConnectParams::new("sqlite").database(path));
    db.connect()?;

    db.execute_batch(
        "DROP TABLE IF EXISTS users;
         CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN NOT NULL);",
    )?;
    // Rolled back if anything below returns early; committed at the end.
    let mut tx = db.transaction()?;
    for name in ["ann", "bob", "cy"] {
        tx.execute(
            "INSERT INTO users(name, active) VALUES (?, ?)",
            &[name.into(), (name != "bob").into()],
        )?;
    }
    tx.commit()?;

    let rows = db.execute_query(
        "SELECT id, name FROM users WHERE active = ? ORDER BY id",
        &[Value::Bool(true)],
    )?;
    println!("active users: {}", rows.len());
    for row in rows.rows() {
        println!("  {} {}", row[0], row[1]);
    }

    let mut mgr = DatabaseManager::new();
    mgr.add_connection(db);
    let n = mgr.execute_query("app_db", "SELECT count(*) AS n FROM users", &[])?;
    println!(
        "users: {}",
        n.get(0, "n").map(Value::to_string).unwrap_or_default()
    );
    for h in mgr.health_check() {
        println!(
            "health {}: {}",
            h.name,
            if h.ok {
                h.server.unwrap_or_default()
            } else {
                h.error.unwrap_or_default()
            }
        );
    }
    Ok(())
}
