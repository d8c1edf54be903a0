//! One engine as the pair suite drives it: throwaway databases, loading a fixture with the
//! engine's own client, and the engine's own catalog dump (never myrmex's view of it).

use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A server engine or SQLite, with the base the suite derives its database names from.
pub struct Engine {
    /// `postgres`, `mysql` or `sqlite`.
    pub name: &'static str,
    /// The server URL (its database is the base name), or the SQLite directory.
    base: String,
    /// The plugins, loaded once.
    registry: myrmex_core::plugin::Registry,
}

impl Engine {
    /// PostgreSQL or MariaDB from the test variable, SQLite in a temp directory.
    pub fn new(name: &'static str) -> Option<Engine> {
        let base = match name {
            "postgres" => server_url("MYRMEX_TEST_POSTGRES_URL")?,
            "mysql" => server_url("MYRMEX_TEST_MYSQL_URL")?,
            _ => temp_dir("schema-pairs").display().to_string(),
        };
        Some(Engine {
            name,
            base,
            registry: registry(),
        })
    }

    /// The name of the database `label` (`<base>_pa`), derived from the test database.
    fn db_name(&self, label: &str) -> String {
        let db = self
            .base
            .rsplit('/')
            .next()
            .unwrap_or("myrmex")
            .split('?')
            .next()
            .unwrap_or("myrmex");
        format!("{db}_{label}")
    }

    /// A fresh, empty database `label`; returns its URL.
    pub fn fresh(&self, label: &str) -> String {
        if self.name == "sqlite" {
            let path = Path::new(&self.base).join(format!("{label}.db"));
            let _ = std::fs::remove_file(&path);
            return format!("sqlite://{}", path.display());
        }
        let db = self.db_name(label);
        let mut admin = self.admin();
        let (drop, create) = if self.name == "postgres" {
            (
                format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                format!("CREATE DATABASE {db}"),
            )
        } else {
            (
                format!("DROP DATABASE IF EXISTS {db}"),
                format!("CREATE DATABASE {db}"),
            )
        };
        admin.execute_batch(&drop).expect("drop a pair database");
        admin
            .execute_batch(&create)
            .expect("create a pair database");
        with_database(&self.base, &db)
    }

    /// Drops the database `label`.
    pub fn drop_db(&self, label: &str) {
        if self.name == "sqlite" {
            return;
        }
        let db = self.db_name(label);
        let sql = if self.name == "postgres" {
            format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        } else {
            format!("DROP DATABASE IF EXISTS {db}")
        };
        let _ = self.admin().execute_batch(&sql);
    }

    fn admin(&self) -> myrmex_core::DatabaseConnection {
        let mut c = myrmex_core::DatabaseConnection::from_url("admin", &self.base).unwrap();
        c.connect_with(&self.registry).unwrap();
        c
    }

    /// A myrmex connection to `url`.
    pub fn connect(&self, url: &str) -> myrmex_core::DatabaseConnection {
        let mut c = myrmex_core::DatabaseConnection::from_url(self.name, url).unwrap();
        c.connect_with(&self.registry).unwrap();
        c
    }

    /// The engine's client reading SQL from stdin.
    fn client(&self, url: &str) -> Command {
        match self.name {
            "sqlite" => {
                let mut c = Command::new("sqlite3");
                c.args(["-bail", url.trim_start_matches("sqlite://")]);
                c
            }
            "postgres" => {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
                c
            }
            _ => {
                let mut c = Command::new("mariadb");
                c.args(mysql_client_args(url));
                c
            }
        }
    }

    /// Runs the SQL file `file` in `url` with the engine's client.
    pub fn load(&self, url: &str, file: &Path) -> Result<(), String> {
        let stdin = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let out = self
            .client(url)
            .stdin(stdin)
            .output()
            .map_err(|e| format!("{}: cannot run its client: {e}", self.name))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "loading {}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// The engine's own view of the schema of `url`, normalised so that two databases
    /// holding the same objects give the same text.
    pub fn dump(&self, url: &str) -> String {
        match self.name {
            "postgres" => pg_dump(url),
            "mysql" => mysql_dump(url, &self.db_name_of(url)),
            _ => sqlite_dump(url),
        }
    }

    fn db_name_of(&self, url: &str) -> String {
        url.rsplit('/')
            .next()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string()
    }
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a catalog dump");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pg_dump --schema-only --no-owner` without comments, `SET` lines and blank lines.
fn pg_dump(url: &str) -> String {
    let text = output(Command::new("pg_dump").args(["--schema-only", "--no-owner", "-d", url]));
    text.lines()
        .filter(|l| {
            let t = l.trim();
            !(t.is_empty()
                || t.starts_with("--")
                || t.starts_with("SET ")
                || t.starts_with("SELECT pg_catalog.set_config")
                || t.starts_with("\\restrict")
                || t.starts_with("\\unrestrict"))
        })
        .map(sorted_with_list)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `WITH (b='1', a='2')` → `WITH (a='2', b='1')`: storage parameters are a set, printed in
/// the order they were last set.
fn sorted_with_list(line: &str) -> String {
    match line
        .trim()
        .strip_prefix("WITH (")
        .and_then(|r| r.strip_suffix(");").or_else(|| r.strip_suffix(')')))
    {
        Some(inner) if !inner.contains('(') => {
            let mut items: Vec<&str> = inner.split(", ").collect();
            items.sort();
            format!("WITH ({})", items.join(", "))
        }
        _ => line.to_string(),
    }
}

/// `mariadb-dump --no-data --skip-comments` (with routines and events), the session
/// settings it wraps around objects left out, then `information_schema` rows for what the
/// dump shows only in part (column and index details, partitions).
fn mysql_dump(url: &str, db: &str) -> String {
    let args = mysql_client_args(url);
    let mut dump = Command::new("mariadb-dump");
    dump.args([
        "--no-data",
        "--skip-comments",
        "--routines",
        "--events",
        "--skip-dump-date",
    ]);
    dump.args(&args[..args.len() - 1]);
    dump.arg(db);
    let text = output(&mut dump);
    let mut out: Vec<String> = text
        .lines()
        .filter(|l| {
            let t = l.trim();
            !(t.is_empty()
                || (t.starts_with("/*!") && t.contains(" SET ") && t.ends_with(';'))
                || t.starts_with("SET ")
                || t.starts_with("DELIMITER")
                || t.starts_with("/*M!999999"))
        })
        .map(|l| l.replace(&format!("`{db}`."), ""))
        .collect();
    let q = format!(
        "SELECT 'column', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, \
           COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' ORDER BY TABLE_NAME, ORDINAL_POSITION; \
         SELECT 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NON_UNIQUE, INDEX_TYPE, \
           COLLATION, IGNORED FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX; \
         SELECT 'partition', TABLE_NAME, PARTITION_NAME, PARTITION_ORDINAL_POSITION, PARTITION_METHOD, \
           PARTITION_EXPRESSION, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS \
         WHERE TABLE_SCHEMA = '{db}' AND PARTITION_NAME IS NOT NULL ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION; \
         SELECT 'table', TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' ORDER BY TABLE_NAME"
    );
    let mut cli = Command::new("mariadb");
    cli.args(["-N", "-B", "-e", &q]);
    cli.args(&args[..args.len() - 1]);
    out.extend(output(&mut cli).lines().map(str::to_string));
    out.join("\n")
}

/// `sqlite_schema` rows (type, name, table; the SQL of views, triggers, indexes and virtual
/// tables, normalised) and, for tables, SQLite's own description of them (`pragma_table_list`,
/// `pragma_table_xinfo`, `pragma_index_list`, `pragma_index_xinfo`,
/// `pragma_foreign_key_list`): a table's stored text is whatever statement last rebuilt it,
/// so its description is compared rather than its text. A lone `INTEGER PRIMARY KEY` column
/// (the rowid) counts as NOT NULL whether or not its text says so: it cannot hold NULL.
fn sqlite_dump(url: &str) -> String {
    let path = url.trim_start_matches("sqlite://");
    let text = output(Command::new("sqlite3").args([
        path,
        "SELECT type, name, tbl_name, CASE WHEN type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' \
           THEN '' ELSE replace(replace(sql, char(10), ' '), char(13), ' ') END \
         FROM sqlite_schema ORDER BY type, name; \
         SELECT 'list', name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = 'main' ORDER BY name; \
         SELECT 'column', m.name, p.cid, p.name, p.type, \
           CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' \
             AND (SELECT count(*) FROM pragma_table_xinfo(m.name) k WHERE k.pk > 0) = 1 \
             THEN 1 ELSE p.\"notnull\" END, p.dflt_value, p.pk, p.hidden \
           FROM sqlite_schema m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid; \
         SELECT 'index', m.name, l.name, l.\"unique\", l.origin, l.partial \
           FROM sqlite_schema m, pragma_index_list(m.name) l WHERE m.type = 'table' ORDER BY m.name, l.name; \
         SELECT 'key', m.name, x.seqno, x.cid, x.name, x.\"desc\", x.coll, x.key \
           FROM sqlite_schema m, pragma_index_xinfo(m.name) x WHERE m.type = 'index' ORDER BY m.name, x.seqno; \
         SELECT 'fk', m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete, f.\"match\" \
           FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
    ]));
    text.lines()
        .map(normalise_sql)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lower case, one space between words, none around punctuation, identifiers unquoted.
pub fn normalise_sql(s: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            space = true;
            continue;
        }
        if ch == '"' || ch == '`' {
            continue;
        }
        let punct = "(),;=".contains(ch);
        let last_punct = out.chars().last().is_some_and(|c| "(),;=".contains(c));
        if space && !punct && !last_punct && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(ch.to_lowercase());
    }
    out
}

/// Every pair directory of `engine`, in order.
pub fn pairs(engine: &str) -> Vec<PathBuf> {
    let dir = workspace_root()
        .join("tests/fixtures/schema_pairs")
        .join(engine);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("after.sql").exists())
        .collect();
    v.sort();
    v
}
