//! Statements that destroy or expose data on every engine: `DELETE` and `UPDATE` without
//! `WHERE`, `DROP`, `TRUNCATE` and `GRANT ALL`.

use super::batch::Batch;
use super::name::{cte_bodies, group_end, main_verb, name_at, skip, skip_any, split_commas, Name};
use super::Hit;
use crate::words::{render, Word};
use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// `DELETE` with no `WHERE` of its own.
pub const DELETE_WITHOUT_WHERE: Rule = Rule {
    id: "delete-without-where",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "A DELETE with no WHERE clause removes every row of its table.",
    remedy: "Add a WHERE clause naming the rows to remove (or TRUNCATE, reviewed, when emptying \
             the table is the intent).",
};

/// `UPDATE` with no `WHERE` of its own.
pub const UPDATE_WITHOUT_WHERE: Rule = Rule {
    id: "update-without-where",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "An UPDATE with no WHERE clause changes every row of its table.",
    remedy: "Add a WHERE clause naming the rows to change.",
};

/// `DROP TABLE`, `DROP DATABASE`, `DROP SCHEMA`.
pub const DROP: Rule = Rule {
    id: "drop",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "DROP TABLE, DATABASE or SCHEMA destroys the object and all the data it holds.",
    remedy: "Take a backup first, and drop in a separate, reviewed step once nothing uses the \
             object.",
};

/// `TRUNCATE`.
pub const TRUNCATE: Rule = Rule {
    id: "truncate",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "TRUNCATE removes every row of a table at once and cannot be limited.",
    remedy: "Use DELETE with a WHERE clause, or take a backup and truncate in a reviewed step.",
};

/// `GRANT ALL`.
pub const GRANT_ALL: Rule = Rule {
    id: "grant-all",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "GRANT ALL gives every privilege, including ones the grantee does not need.",
    remedy: "Grant only the privileges the grantee needs (SELECT, INSERT, …) on the objects it \
             needs.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[
    DELETE_WITHOUT_WHERE,
    UPDATE_WITHOUT_WHERE,
    DROP,
    TRUNCATE,
    GRANT_ALL,
];

/// Adds what the statement `words` triggers to `hits`.
pub fn check(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    data_changes(words, batch, hits);
    drops(words, batch, hits);
    truncate(words, batch, hits);
    grant_all(words, hits);
}

/// `DELETE` and `UPDATE` as the statement proper or a data-changing `WITH` body, without a
/// `WHERE` at their own level (one inside a subquery filters the subquery, not the rows).
fn data_changes(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    for i in main_verb(words).into_iter().chain(cte_bodies(words)) {
        let verb = &words[i];
        let (rule, does) = if verb.is("DELETE") {
            (&DELETE_WITHOUT_WHERE, "removes")
        } else if verb.is("UPDATE") {
            (&UPDATE_WITHOUT_WHERE, "changes")
        } else {
            continue;
        };
        let end = group_end(words, i);
        let own_where = words[i + 1..end]
            .iter()
            .any(|w| w.depth == verb.depth && w.is("WHERE"));
        if own_where {
            continue;
        }
        let table = target(words, i);
        if table.as_ref().is_some_and(|t| batch.is_new(t)) {
            continue;
        }
        let verb = verb.text.to_ascii_uppercase();
        hits.push(match table {
            Some(t) => Hit::new(
                rule,
                t.display(),
                format!("{verb} without WHERE {does} every row of {}", t.display()),
            ),
            None => Hit::new(
                rule,
                "statement",
                format!("{verb} without WHERE {does} every row of its table"),
            ),
        });
    }
}

/// The table a `DELETE` or `UPDATE` at `words[i]` changes.
fn target(words: &[Word], i: usize) -> Option<Name> {
    let mut j = skip_any(words, i + 1, &["LOW_PRIORITY", "QUICK", "IGNORE"]);
    if words.get(j).is_some_and(|w| w.is("FROM")) {
        j += 1;
    } else if words.get(j).is_some_and(|w| w.is("OR")) {
        // SQLite: `UPDATE OR REPLACE t`.
        j += 2;
    }
    name_at(words, skip(words, j, &["ONLY"])).map(|(n, _)| n)
}

/// `DROP TABLE | DATABASE | SCHEMA [IF EXISTS] name, …` (temporary tables aside).
fn drops(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    let Some(kind) = words.get(1).filter(|_| words[0].is("DROP")) else {
        return;
    };
    let (what, holds) = if kind.is("TABLE") {
        ("TABLE", "every row in it")
    } else if kind.is("DATABASE") || kind.is("SCHEMA") {
        (
            if kind.is("SCHEMA") {
                "SCHEMA"
            } else {
                "DATABASE"
            },
            "everything in it",
        )
    } else {
        return;
    };
    let i = skip(words, 2, &["IF", "EXISTS"]);
    for name in names(words, i) {
        if what == "TABLE" && batch.is_new(&name) {
            continue;
        }
        hits.push(Hit::new(
            &DROP,
            name.display(),
            format!("DROP {what} destroys {} and {holds}", name.display()),
        ));
    }
}

/// `TRUNCATE [TABLE] [ONLY] name, …`.
fn truncate(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    if !words.first().is_some_and(|w| w.is("TRUNCATE")) {
        return;
    }
    for name in names(words, skip(words, 1, &["TABLE"])) {
        if batch.is_new(&name) {
            continue;
        }
        hits.push(Hit::new(
            &TRUNCATE,
            name.display(),
            format!("TRUNCATE removes every row of {}", name.display()),
        ));
    }
}

/// The names of a comma-separated list from `words[i]`, each perhaps preceded by `ONLY`.
fn names(words: &[Word], i: usize) -> Vec<Name> {
    split_commas(&words[i.min(words.len())..], 0)
        .into_iter()
        .filter_map(|item| name_at(item, skip(item, 0, &["ONLY"])).map(|(n, _)| n))
        .collect()
}

/// `GRANT ALL [PRIVILEGES] ON object TO grantee`.
fn grant_all(words: &[Word], hits: &mut Vec<Hit>) {
    if !(words.first().is_some_and(|w| w.is("GRANT")) && words.get(1).is_some_and(|w| w.is("ALL")))
    {
        return;
    }
    let top = |kw: &str| (2..words.len()).find(|&j| words[j].depth == 0 && words[j].is(kw));
    let (Some(on), Some(to)) = (top("ON"), top("TO")) else {
        return;
    };
    if to <= on {
        return;
    }
    let object = render(&words[skip(words, on + 1, &["TABLE"])..to]);
    let end = (to + 1..words.len())
        .find(|&j| words[j].depth == 0 && words[j].is("WITH"))
        .unwrap_or(words.len());
    let grantee = render(&words[to + 1..end]);
    hits.push(Hit::new(
        &GRANT_ALL,
        object.clone(),
        format!("GRANT ALL gives {grantee} every privilege on {object}"),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn hits_in(sqls: &[&str], flavor: Flavor) -> Vec<(String, String)> {
        let mut batch = Batch::default();
        let mut hits = Vec::new();
        for s in sqls {
            let w = words(s, flavor);
            check(&w, &batch, &mut hits);
            batch.record(&w);
        }
        hits.into_iter()
            .map(|h| (h.rule.id.to_string(), h.object))
            .collect()
    }

    fn hits(sql: &str) -> Vec<(String, String)> {
        hits_in(&[sql], Flavor::Postgres)
    }

    fn one(rule: &str, object: &str) -> Vec<(String, String)> {
        vec![(rule.to_string(), object.to_string())]
    }

    #[test]
    fn delete_without_where() {
        assert_eq!(
            hits("DELETE FROM orders"),
            one("delete-without-where", "orders")
        );
        assert_eq!(
            hits("delete from only app.orders"),
            one("delete-without-where", "app.orders")
        );
        assert_eq!(hits("DELETE FROM t WHERE id = 1"), vec![]);
        assert_eq!(
            hits("DELETE FROM t -- WHERE id = 1"),
            one("delete-without-where", "t")
        );
        assert_eq!(
            hits("DELETE FROM t /* WHERE */"),
            one("delete-without-where", "t")
        );
        assert_eq!(
            hits("DELETE FROM t USING u, (SELECT id FROM v WHERE x) s"),
            one("delete-without-where", "t")
        );
        assert_eq!(
            hits_in(&["DELETE LOW_PRIORITY FROM t LIMIT 10"], Flavor::Mysql),
            one("delete-without-where", "t")
        );
        assert_eq!(hits("SELECT 'DELETE FROM t'"), vec![]);
        assert_eq!(hits("INSERT INTO log VALUES ('DELETE FROM t')"), vec![]);
    }

    #[test]
    fn update_without_where() {
        assert_eq!(hits("UPDATE t SET a = 1"), one("update-without-where", "t"));
        assert_eq!(
            hits("UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id)"),
            one("update-without-where", "t")
        );
        assert_eq!(
            hits("UPDATE t SET a = 'WHERE'"),
            one("update-without-where", "t")
        );
        assert_eq!(hits("UPDATE t SET a = 1 WHERE b IN (SELECT 1)"), vec![]);
        assert_eq!(
            hits_in(&["UPDATE OR REPLACE t SET a = 1"], Flavor::Sqlite),
            one("update-without-where", "t")
        );
        assert_eq!(hits("SELECT * FROM t FOR UPDATE"), vec![]);
        assert_eq!(
            hits_in(
                &["INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1"],
                Flavor::Mysql
            ),
            vec![]
        );
    }

    #[test]
    fn with_clauses() {
        assert_eq!(
            hits("WITH ids AS (SELECT id FROM x WHERE y) DELETE FROM t"),
            one("delete-without-where", "t")
        );
        assert_eq!(
            hits("WITH ids AS (SELECT id FROM x) DELETE FROM t WHERE id IN (SELECT id FROM ids)"),
            vec![]
        );
        assert_eq!(
            hits("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone WHERE a"),
            one("delete-without-where", "t")
        );
        assert_eq!(
            hits("WITH moved AS (UPDATE t SET a = 1 WHERE b RETURNING *) SELECT 1"),
            vec![]
        );
    }

    #[test]
    fn drop_and_truncate() {
        assert_eq!(hits("DROP TABLE IF EXISTS a, s.b CASCADE").len(), 2);
        assert_eq!(hits("DROP SCHEMA app CASCADE"), one("drop", "app"));
        assert_eq!(hits("drop database shop"), one("drop", "shop"));
        assert_eq!(hits("DROP INDEX i"), vec![]);
        assert_eq!(hits("DROP VIEW v"), vec![]);
        assert_eq!(hits_in(&["DROP TEMPORARY TABLE t"], Flavor::Mysql), vec![]);
        assert_eq!(hits("TRUNCATE TABLE ONLY a, b RESTART IDENTITY").len(), 2);
        assert_eq!(hits("truncate t"), one("truncate", "t"));
        assert_eq!(hits("SELECT 1 -- DROP TABLE t"), vec![]);
    }

    #[test]
    fn a_table_created_in_the_batch_is_exempt() {
        let sqls = [
            "CREATE TABLE scratch (a int)",
            "DELETE FROM scratch",
            "TRUNCATE scratch",
            "DROP TABLE scratch",
            "DROP TABLE kept",
        ];
        assert_eq!(hits_in(&sqls, Flavor::Postgres), one("drop", "kept"));
    }

    #[test]
    fn grant_all() {
        assert_eq!(
            hits("GRANT ALL PRIVILEGES ON TABLE orders TO app"),
            one("grant-all", "orders")
        );
        assert_eq!(
            hits_in(
                &["GRANT ALL ON *.* TO 'app'@'%' WITH GRANT OPTION"],
                Flavor::Mysql
            ),
            one("grant-all", "*.*")
        );
        assert_eq!(hits("GRANT SELECT ON orders TO app"), vec![]);
        assert_eq!(
            hits("GRANT ALL ON ALL TABLES IN SCHEMA public TO app").len(),
            1
        );
    }
}
