//! Reading a statement's words: object names, keyword sequences, where a parenthesised
//! group ends, and which word starts the statement proper.

use crate::words::{Kind, Word};

/// An object name as written: its dot-separated parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// Each part's text (without quotes) and whether it was quoted.
    pub parts: Vec<(String, bool)>,
}

impl Name {
    /// The name as a reader writes it: parts joined by `.`, without quotes.
    pub fn display(&self) -> String {
        self.parts
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The last part: the object's own name.
    pub fn object(&self) -> &str {
        self.parts.last().map_or("", |(p, _)| p.as_str())
    }

    /// The part before the object's own name (its schema or database), if written.
    pub fn qualifier(&self) -> Option<&str> {
        let n = self.parts.len();
        (n >= 2).then(|| self.parts[n - 2].0.as_str())
    }

    /// The key two spellings of one object share: the object's own name, lowercased
    /// unless it was quoted.
    pub fn key(&self) -> String {
        match self.parts.last() {
            Some((p, true)) => p.clone(),
            Some((p, false)) => p.to_lowercase(),
            None => String::new(),
        }
    }

    /// The name quoted part by part with `quote`.
    pub fn quoted(&self, quote: char) -> String {
        self.parts
            .iter()
            .map(|(p, _)| myrmex_plugin::sql::quote_ident(p, quote))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// The name starting at `words[i]` and the index just past it.
pub fn name_at(words: &[Word], i: usize) -> Option<(Name, usize)> {
    let mut parts = Vec::new();
    let mut i = i;
    loop {
        let w = words.get(i).filter(|w| w.is_name())?;
        parts.push((w.text.clone(), w.kind == Kind::Quoted));
        if words.get(i + 1).is_some_and(|w| w.is_punct('.'))
            && words.get(i + 2).is_some_and(Word::is_name)
        {
            i += 2;
        } else {
            return Some((Name { parts }, i + 1));
        }
    }
}

/// The index past `keywords` when they follow one another from `words[i]`, else `i`.
pub fn skip(words: &[Word], i: usize, keywords: &[&str]) -> usize {
    if has_seq(words, i, keywords) {
        i + keywords.len()
    } else {
        i
    }
}

/// The index past any of `keywords` (each optional, in any order) from `words[i]`.
pub fn skip_any(words: &[Word], mut i: usize, keywords: &[&str]) -> usize {
    while words
        .get(i)
        .is_some_and(|w| keywords.iter().any(|k| w.is(k)))
    {
        i += 1;
    }
    i
}

/// True when `keywords` follow one another from `words[i]`.
pub fn has_seq(words: &[Word], i: usize, keywords: &[&str]) -> bool {
    keywords
        .iter()
        .enumerate()
        .all(|(k, kw)| words.get(i + k).is_some_and(|w| w.is(kw)))
}

/// True when `keywords` follow one another anywhere in `words` at depth `depth`.
pub fn has_seq_at_depth(words: &[Word], depth: u32, keywords: &[&str]) -> bool {
    (0..words.len()).any(|i| words[i].depth == depth && has_seq(words, i, keywords))
}

/// The end (exclusive) of the group `words[i]` belongs to: the first later word at a
/// smaller depth, or the end of the words.
pub fn group_end(words: &[Word], i: usize) -> usize {
    let depth = words.get(i).map_or(0, |w| w.depth);
    words
        .iter()
        .enumerate()
        .skip(i + 1)
        .find(|(_, w)| w.depth < depth)
        .map_or(words.len(), |(j, _)| j)
}

/// `words` cut at the commas at depth `depth`.
pub fn split_commas(words: &[Word], depth: u32) -> Vec<&[Word]> {
    words
        .split(|w| w.depth == depth && w.is_punct(','))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The names of a comma-separated list from `words[i]` (each name may be followed by other
/// words, such as `*` or a column list, up to the next comma).
pub fn name_list(words: &[Word], i: usize) -> Vec<Name> {
    let depth = words.get(i).map_or(0, |w| w.depth);
    split_commas(&words[i.min(words.len())..], depth)
        .into_iter()
        .filter_map(|item| name_at(item, 0).map(|(n, _)| n))
        .collect()
}

/// The `(old, new)` pairs of MySQL's `RENAME TABLE a TO b, c TO d`.
pub fn rename_pairs(words: &[Word]) -> Vec<(Name, Name)> {
    if !has_seq(words, 0, &["RENAME", "TABLE"]) {
        return Vec::new();
    }
    split_commas(&words[2.min(words.len())..], 0)
        .into_iter()
        .filter_map(|pair| {
            let (from, i) = name_at(pair, 0)?;
            if !pair.get(i)?.is("TO") {
                return None;
            }
            name_at(pair, i + 1).map(|(to, _)| (from, to))
        })
        .collect()
}

/// Verbs that start a data statement after a `WITH` clause.
const DATA_VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "REPLACE",
];

/// The index of the word that starts the statement proper: the first word, or after a
/// `WITH` clause the first data verb outside its parentheses.
pub fn main_verb(words: &[Word]) -> Option<usize> {
    let first = words.first()?;
    if !first.is("WITH") {
        return Some(0);
    }
    (1..words.len()).find(|&i| words[i].depth == 0 && DATA_VERBS.iter().any(|v| words[i].is(v)))
}

/// The indexes of the first words of the parenthesised bodies in a leading `WITH` clause
/// (`name AS [NOT] [MATERIALIZED] ( body )`).
pub fn cte_bodies(words: &[Word]) -> Vec<usize> {
    if !words.first().is_some_and(|w| w.is("WITH")) {
        return Vec::new();
    }
    let end = main_verb(words).unwrap_or(words.len());
    (1..end)
        .filter(|&i| words[i].depth == 0 && words[i].is("AS"))
        .filter_map(|i| {
            let j = skip_any(words, i + 1, &["NOT", "MATERIALIZED"]);
            words
                .get(j)
                .filter(|w| w.is_punct('('))
                .map(|_| j + 1)
                .filter(|&b| b < words.len())
        })
        .collect()
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
    fn names_are_read_with_their_qualifier() {
        let ws = w("public.\"Orders\" x");
        let (n, next) = name_at(&ws, 0).unwrap();
        assert_eq!(n.display(), "public.Orders");
        assert_eq!(n.qualifier(), Some("public"));
        assert_eq!(n.key(), "Orders");
        assert_eq!(n.quoted('"'), "\"public\".\"Orders\"");
        assert_eq!(next, 3);
        let (n, _) = name_at(&w("ORDERS"), 0).unwrap();
        assert_eq!(n.key(), "orders");
        assert!(name_at(&w("'x'"), 0).is_none());
    }

    #[test]
    fn keyword_sequences_and_groups() {
        let ws = w("DROP TABLE IF EXISTS a, b.c CASCADE");
        assert_eq!(skip(&ws, 2, &["IF", "EXISTS"]), 4);
        assert_eq!(skip(&ws, 2, &["IF", "NOT"]), 2);
        let names: Vec<String> = name_list(&ws, 4).iter().map(Name::display).collect();
        assert_eq!(names, ["a", "b.c"]);
        let ws = w("UPDATE t SET a = (SELECT 1 WHERE x) WHERE y");
        assert_eq!(group_end(&ws, 7), 10);
        assert_eq!(group_end(&ws, 0), ws.len());
    }

    #[test]
    fn the_statement_proper_follows_its_with_clause() {
        let ws = w("WITH a AS (SELECT 1), b AS MATERIALIZED (DELETE FROM x) UPDATE t SET c = 1");
        let v = main_verb(&ws).unwrap();
        assert!(ws[v].is("UPDATE"));
        let bodies: Vec<&str> = cte_bodies(&ws)
            .iter()
            .map(|&i| ws[i].text.as_str())
            .collect();
        assert_eq!(bodies, ["SELECT", "DELETE"]);
        assert_eq!(main_verb(&w("DELETE FROM t")), Some(0));
        assert!(cte_bodies(&w("DELETE FROM t")).is_empty());
    }
}
