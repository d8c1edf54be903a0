//! `CREATE INDEX` and `DROP INDEX` read into what the rules need.

use super::name::{has_seq, name_at, name_list, skip, skip_any, Name};
use crate::words::Word;

/// A `CREATE INDEX` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateIndex {
    /// The index's name, when given.
    pub name: Option<Name>,
    /// The table it indexes.
    pub table: Name,
    /// True with `CONCURRENTLY`.
    pub concurrently: bool,
}

/// The `CREATE [UNIQUE] INDEX` in `words`, if the statement is one.
pub fn create_index(words: &[Word]) -> Option<CreateIndex> {
    if !words.first()?.is("CREATE") {
        return None;
    }
    let i = skip_any(words, 1, &["UNIQUE", "FULLTEXT", "SPATIAL"]);
    if !words.get(i)?.is("INDEX") {
        return None;
    }
    let concurrently = words.get(i + 1).is_some_and(|w| w.is("CONCURRENTLY"));
    let on = (i..words.len()).find(|&j| words[j].depth == 0 && words[j].is("ON"))?;
    let n = skip(words, i + 1, &["CONCURRENTLY"]);
    let n = skip(words, n, &["IF", "NOT", "EXISTS"]);
    let name = (n < on)
        .then(|| name_at(words, n).map(|(n, _)| n))
        .flatten();
    let (table, _) = name_at(words, skip(words, on + 1, &["ONLY"]))?;
    Some(CreateIndex {
        name,
        table,
        concurrently,
    })
}

/// The indexes a `DROP INDEX` names, and whether it drops them `CONCURRENTLY`.
pub fn drop_index(words: &[Word]) -> Option<(Vec<Name>, bool)> {
    if !has_seq(words, 0, &["DROP", "INDEX"]) {
        return None;
    }
    let concurrently = words.get(2).is_some_and(|w| w.is("CONCURRENTLY"));
    let i = skip(words, 2, &["CONCURRENTLY"]);
    let i = skip(words, i, &["IF", "EXISTS"]);
    Some((name_list(words, i), concurrently))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn w(sql: &str) -> Vec<Word> {
        words(sql, Flavor::Postgres)
    }

    #[test]
    fn create_index_forms() {
        let c = create_index(&w(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t (a)",
        ))
        .unwrap();
        assert_eq!(c.name.map(|n| n.display()).as_deref(), Some("i"));
        assert_eq!(c.table.display(), "s.t");
        assert!(c.concurrently);
        let c = create_index(&w("create index on t using btree (lower(a))")).unwrap();
        assert!(c.name.is_none() && !c.concurrently);
        assert!(create_index(&w("CREATE TABLE t (a int)")).is_none());
    }

    #[test]
    fn drop_index_forms() {
        let (names, c) = drop_index(&w("DROP INDEX IF EXISTS a, s.b CASCADE")).unwrap();
        assert_eq!(names.len(), 2);
        assert!(!c);
        let (_, c) = drop_index(&w("DROP INDEX CONCURRENTLY a")).unwrap();
        assert!(c);
    }
}
