//! Sakila on PostgreSQL: the schema script loaded into a fresh database, inspected by
//! myrmex, generated into another empty database; then a myrmex diff between the two has no
//! statement and no notice, and `pg_dump --schema-only` of both is the same, except for
//! exactly the objects inspection listed as unsupported (which this test names).

use myrmex_core::schema_def::{self, DiffOptions};
use myrmex_tests::*;
use std::process::Command;

/// What Sakila holds that the definition cannot: `(kind, name)` as inspection lists them.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("aggregate", "group_concat(text)"),
    ("comment", "schema public"),
    ("rule", "payment.payment_insert_p2007_01"),
    ("rule", "payment.payment_insert_p2007_02"),
    ("rule", "payment.payment_insert_p2007_03"),
    ("rule", "payment.payment_insert_p2007_04"),
    ("rule", "payment.payment_insert_p2007_05"),
    ("rule", "payment.payment_insert_p2007_06"),
    // These three use the aggregate above.
    ("view", "actor_info"),
    ("view", "film_list"),
    ("view", "nicer_but_slower_film_list"),
];

/// `pg_dump --schema-only --no-owner` as its entries (`-- Name: …; Type: …` header, body
/// without comments, `SET` lines and blank lines), in pg_dump's order.
fn dump_entries(url: &str) -> Vec<(String, String, String)> {
    let out = Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "-d", url])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut entries = Vec::new();
    let (mut name, mut kind, mut body) = (String::new(), String::new(), String::new());
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("-- Name: ") {
            if !body.is_empty() || !name.is_empty() {
                entries.push((kind.clone(), name.clone(), std::mem::take(&mut body)));
            }
            let mut parts = h.split("; ");
            name = parts.next().unwrap_or("").to_string();
            kind = parts
                .next()
                .and_then(|t| t.strip_prefix("Type: "))
                .unwrap_or("")
                .to_string();
            continue;
        }
        let t = line.trim();
        if t.is_empty()
            || t.starts_with("--")
            || t.starts_with("SET ")
            || t.starts_with("SELECT pg_catalog.set_config")
            || t.starts_with("\\restrict")
            || t.starts_with("\\unrestrict")
        {
            continue;
        }
        body.push_str(line);
        body.push('\n');
    }
    entries.push((kind, name, body));
    entries
}

/// Every privilege on the public schema and its relations, sequences and functions, from
/// the access lists, sorted.
fn privileges(url: &str) -> String {
    let q = "SELECT 'schema', n.nspname, a.grantee::regrole::text, a.privilege_type, a.is_grantable \
        FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public' \
        UNION ALL SELECT 'relation', c.relname, a.grantee::regrole::text, a.privilege_type, a.is_grantable \
        FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 'public'::regnamespace \
        UNION ALL SELECT 'function', p.oid::regprocedure::text, a.grantee::regrole::text, a.privilege_type, \
        a.is_grantable FROM pg_proc p, aclexplode(p.proacl) a WHERE p.pronamespace = 'public'::regnamespace \
        ORDER BY 1, 2, 3, 4";
    let out = Command::new("psql")
        .args(["-X", "-A", "-t", "-d", url, "-c", q])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An entry of an object inspection listed as unsupported (pg_dump calls privileges `ACL`).
fn is_unsupported(kind: &str, name: &str) -> bool {
    UNSUPPORTED.iter().any(|(k, n)| {
        (kind.eq_ignore_ascii_case(k) || (kind == "ACL" && *k == "privilege"))
            && name.split_whitespace().all(|w| {
                n.replace('.', " ")
                    .split_whitespace()
                    .any(|p| p.eq_ignore_ascii_case(w))
            })
    })
}

#[test]
fn sakila_round_trips_on_postgres() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let source = ScratchDb::create(&url, "postgres", "sakila_src");
    let copy = ScratchDb::create(&url, "postgres", "sakila_copy");
    let script = datasets().join("sakila/postgres-sakila-schema.sql");
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &source.url, "-f"])
        .arg(&script)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "loading Sakila: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut src = source.connect();
    // Privileges are read too: pg_dump shows them.
    let request = ["+grants".to_string()];
    let def = src.schema_of(&request).unwrap();
    let listed: Vec<(String, String)> = def
        .unsupported
        .iter()
        .map(|u| (u.kind.clone(), u.name.clone()))
        .collect();
    let want: Vec<(String, String)> = UNSUPPORTED
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
    assert_eq!(listed, want, "what Sakila holds beyond the definition");

    let mut dst = copy.connect();
    let dialect = dst.schema_dialect().unwrap();
    let stmts = schema_def::SchemaGenerator::new(dialect)
        .statements(&def)
        .unwrap();
    for s in &stmts {
        dst.execute_batch(s)
            .unwrap_or_else(|e| panic!("generating Sakila: `{s}`: {e}"));
    }

    let back = dst.schema_of(&request).unwrap();
    let plan = schema_def::diff_with(&back, &def, dialect, &DiffOptions { grants: true }).unwrap();
    let sql: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
    assert!(
        plan.changes.is_empty() && plan.notices.is_empty(),
        "diff between Sakila and its copy: {sql:#?}, notices {:?}",
        plan.notices
    );

    // Privileges are compared as sets (below): pg_dump prints an access list in the order
    // its entries were last granted.
    let a: Vec<_> = dump_entries(&source.url)
        .into_iter()
        .filter(|(k, n, _)| !is_unsupported(k, n) && k != "ACL")
        .collect();
    let b: Vec<_> = dump_entries(&copy.url)
        .into_iter()
        .filter(|(k, _, _)| k != "ACL")
        .collect();
    assert_eq!(
        privileges(&source.url),
        privileges(&copy.url),
        "privileges differ"
    );
    let differ: Vec<String> = a
        .iter()
        .filter(|e| !b.contains(e))
        .map(|(k, n, body)| format!("only in Sakila: {k} {n}\n{body}"))
        .chain(
            b.iter()
                .filter(|e| !a.contains(e))
                .map(|(k, n, body)| format!("only in the copy: {k} {n}\n{body}")),
        )
        .collect();
    assert!(
        differ.is_empty(),
        "pg_dump --schema-only differs:\n{}",
        differ.join("\n")
    );
}
