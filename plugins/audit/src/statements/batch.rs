//! What earlier statements of the same batch created: a table made in the batch holds no
//! rows anyone depends on yet, so rules about locking it, rewriting it or losing its rows
//! do not apply to it.

use super::alter::{self, Action};
use super::index::create_index;
use super::name::{has_seq, name_at, rename_pairs, skip, skip_any, Name};
use crate::words::Word;
use std::collections::HashSet;

/// The tables and indexes created by the statements checked so far.
#[derive(Debug, Default)]
pub struct Batch {
    tables: HashSet<String>,
    indexes: HashSet<String>,
}

impl Batch {
    /// True when `table` was created earlier in the batch.
    pub fn is_new(&self, table: &Name) -> bool {
        self.tables.contains(&table.key())
    }

    /// True when `index` was created earlier in the batch, on a table created in it too.
    pub fn index_is_new(&self, index: &Name) -> bool {
        self.indexes.contains(&index.key())
    }

    /// Notes what the statement `words` creates. `CREATE TABLE IF NOT EXISTS` does not
    /// count: the table may be there already, rows and all.
    pub fn record(&mut self, words: &[Word]) {
        if let Some(table) = created_table(words) {
            self.tables.insert(table.key());
        } else if let Some(ix) = create_index(words) {
            if let (Some(name), true) = (ix.name, self.is_new(&ix.table)) {
                self.indexes.insert(name.key());
            }
        } else if let Some(a) = alter::parse(words) {
            if self.is_new(&a.table) {
                for action in a.actions {
                    if let Action::RenameTable { to } = action {
                        self.tables.insert(to.key());
                    }
                }
            }
        } else {
            for (from, to) in rename_pairs(words) {
                if self.is_new(&from) {
                    self.tables.insert(to.key());
                }
            }
        }
    }
}

/// The table a `CREATE TABLE` (without `IF NOT EXISTS`) makes.
fn created_table(words: &[Word]) -> Option<Name> {
    if !words.first()?.is("CREATE") {
        return None;
    }
    let i = skip(words, 1, &["OR", "REPLACE"]);
    let i = skip_any(
        words,
        i,
        &[
            "GLOBAL",
            "LOCAL",
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "VIRTUAL",
        ],
    );
    if !words.get(i)?.is("TABLE") || has_seq(words, i + 1, &["IF", "NOT", "EXISTS"]) {
        return None;
    }
    name_at(words, i + 1).map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn batch(sqls: &[&str]) -> Batch {
        let mut b = Batch::default();
        for s in sqls {
            b.record(&words(s, Flavor::Generic));
        }
        b
    }

    fn name(s: &str) -> Name {
        name_at(&words(s, Flavor::Generic), 0).unwrap().0
    }

    #[test]
    fn remembers_tables_indexes_and_renames() {
        let b = batch(&[
            "CREATE TABLE app.Orders (id int)",
            "CREATE INDEX orders_id ON orders (id)",
            "CREATE INDEX old_id ON old (id)",
            "ALTER TABLE orders RENAME TO orders2",
            "CREATE TABLE t2 (a int)",
            "RENAME TABLE t2 TO t3, x TO y",
        ]);
        assert!(b.is_new(&name("ORDERS")));
        assert!(b.is_new(&name("orders2")));
        assert!(b.index_is_new(&name("orders_id")));
        assert!(!b.index_is_new(&name("old_id")));
        assert!(b.is_new(&name("t3")));
        assert!(!b.is_new(&name("y")));
        assert!(!b.is_new(&name("\"ORDERS\"")));
    }

    #[test]
    fn if_not_exists_is_not_new() {
        let b = batch(&[
            "CREATE TABLE IF NOT EXISTS t (a int)",
            "CREATE TEMP TABLE u (a int)",
        ]);
        assert!(!b.is_new(&name("t")));
        assert!(b.is_new(&name("u")));
    }
}
