//! `ALTER TABLE` read into its table and actions, in the forms PostgreSQL, MySQL, MariaDB
//! and SQLite write.

use super::name::{has_seq_at_depth, name_at, skip, skip_any, split_commas, Name};
use crate::words::{Kind, Word};

/// An `ALTER TABLE` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Alter {
    /// The table it changes.
    pub table: Name,
    /// What it does, in order.
    pub actions: Vec<Action>,
}

/// One action of an `ALTER TABLE`.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `ADD [COLUMN] name definition`.
    AddColumn {
        /// The new column.
        column: String,
        /// What its definition says.
        def: ColumnDef,
    },
    /// `ADD [CONSTRAINT name] kind …` (`FOREIGN`, `CHECK`, `UNIQUE`, `PRIMARY`, `INDEX`, …).
    AddConstraint {
        /// The constraint's first keyword, uppercased.
        kind: String,
        /// True when it is added `NOT VALID`.
        not_valid: bool,
    },
    /// `DROP [COLUMN] name`.
    DropColumn {
        /// The column dropped.
        column: String,
    },
    /// `ALTER [COLUMN] name [SET DATA] TYPE …`.
    AlterType {
        /// The column whose type changes.
        column: String,
    },
    /// `ALTER [COLUMN] name SET NOT NULL`.
    SetNotNull {
        /// The column.
        column: String,
    },
    /// `RENAME [COLUMN] old TO new`.
    RenameColumn {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `RENAME [TO | AS] new`.
    RenameTable {
        /// The new name.
        to: Name,
    },
    /// MySQL's `MODIFY [COLUMN] name definition`.
    Modify {
        /// The column redefined.
        column: String,
    },
    /// MySQL's `CHANGE [COLUMN] old new definition`.
    Change {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// MySQL's `ALGORITHM = …` or `LOCK = …`, uppercased.
    Setting {
        /// `ALGORITHM` or `LOCK`.
        name: String,
        /// Its value.
        value: String,
    },
    /// Anything else, by its first keyword (uppercased).
    Other {
        /// The first keyword.
        keyword: String,
    },
}

/// What a column definition in `ADD COLUMN` says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnDef {
    /// `NOT NULL` is written.
    pub not_null: bool,
    /// A non-null default fills existing rows: `DEFAULT` other than `NULL`, an identity or
    /// generated column, `AUTO_INCREMENT`, or a `serial` type.
    pub fills_rows: bool,
    /// The default is an expression evaluated per row: parenthesised, or `CURRENT_TIME`,
    /// `CURRENT_DATE`, `CURRENT_TIMESTAMP`.
    pub expression_default: bool,
    /// `PRIMARY KEY` or `UNIQUE` is written.
    pub keyed: bool,
    /// A generated column stored in the table (`STORED`).
    pub stored: bool,
}

/// The `ALTER TABLE` in `words`, if the statement is one.
pub fn parse(words: &[Word]) -> Option<Alter> {
    if !words.first()?.is("ALTER") {
        return None;
    }
    let i = skip_any(words, 1, &["ONLINE", "OFFLINE", "IGNORE"]);
    if !words.get(i)?.is("TABLE") {
        return None;
    }
    let i = skip(words, i + 1, &["IF", "EXISTS"]);
    let i = skip(words, i, &["ONLY"]);
    let (table, mut i) = name_at(words, i)?;
    if words.get(i).is_some_and(|w| w.is_punct('*')) {
        i += 1;
    }
    let actions = split_commas(&words[i.min(words.len())..], 0)
        .into_iter()
        .map(action)
        .collect();
    Some(Alter { table, actions })
}

/// The name of the word at `i` when it is a name.
fn name(words: &[Word], i: usize) -> Option<String> {
    words.get(i).filter(|w| w.is_name()).map(|w| w.text.clone())
}

/// The first keyword of `w`, uppercased.
fn keyword(w: &[Word]) -> String {
    w.first()
        .map(|w| w.text.to_ascii_uppercase())
        .unwrap_or_default()
}

/// Words that open a constraint or index after `ADD` (rather than a column name).
const CONSTRAINT_WORDS: &[&str] = &[
    "PRIMARY",
    "UNIQUE",
    "CHECK",
    "FOREIGN",
    "EXCLUDE",
    "INDEX",
    "KEY",
    "FULLTEXT",
    "SPATIAL",
    "PARTITION",
    "PERIOD",
    "SYSTEM",
];

/// Words that name something other than a column after `DROP`.
const DROP_NOT_COLUMN: &[&str] = &[
    "CONSTRAINT",
    "INDEX",
    "KEY",
    "PRIMARY",
    "FOREIGN",
    "CHECK",
    "PARTITION",
    "DEFAULT",
    "SYSTEM",
    "PERIOD",
    "EXPRESSION",
    "IDENTITY",
];

/// One action's words read.
fn action(w: &[Word]) -> Action {
    let other = || Action::Other {
        keyword: keyword(w),
    };
    let Some(first) = w.first() else {
        return other();
    };
    let parsed = if first.is("ADD") {
        add(w)
    } else if first.is("DROP") {
        drop(w)
    } else if first.is("ALTER") {
        alter_column(w)
    } else if first.is("RENAME") {
        rename(w)
    } else if first.is("MODIFY") {
        let i = skip(w, 1, &["COLUMN"]);
        name(w, i).map(|column| Action::Modify { column })
    } else if first.is("CHANGE") {
        let i = skip(w, 1, &["COLUMN"]);
        name(w, i)
            .zip(name(w, i + 1))
            .map(|(from, to)| Action::Change { from, to })
    } else if first.is("ALGORITHM") || first.is("LOCK") {
        let i = if w.get(1).is_some_and(|w| w.is_punct('=')) {
            2
        } else {
            1
        };
        w.get(i).map(|v| Action::Setting {
            name: first.text.to_ascii_uppercase(),
            value: v.text.to_ascii_uppercase(),
        })
    } else {
        None
    };
    parsed.unwrap_or_else(other)
}

/// `ADD …`.
fn add(w: &[Word]) -> Option<Action> {
    let not_valid = has_seq_at_depth(w, 0, &["NOT", "VALID"]);
    if w.get(1)?.is("CONSTRAINT") {
        // `ADD CONSTRAINT name kind` (MySQL also allows `ADD CONSTRAINT kind`).
        let kind_next = w
            .get(2)
            .is_some_and(|x| CONSTRAINT_WORDS.iter().any(|k| x.is(k)));
        let i = if kind_next { 2 } else { 3 };
        return Some(Action::AddConstraint {
            kind: keyword(w.get(i..)?),
            not_valid,
        });
    }
    if CONSTRAINT_WORDS.iter().any(|k| w[1].is(k)) {
        return Some(Action::AddConstraint {
            kind: w[1].text.to_ascii_uppercase(),
            not_valid,
        });
    }
    let i = skip(w, 1, &["COLUMN"]);
    let i = skip(w, i, &["IF", "NOT", "EXISTS"]);
    let column = name(w, i)?;
    Some(Action::AddColumn {
        column,
        def: column_def(&w[i + 1..]),
    })
}

/// `DROP …`.
fn drop(w: &[Word]) -> Option<Action> {
    let next = w.get(1)?;
    if DROP_NOT_COLUMN.iter().any(|k| next.is(k)) {
        return None;
    }
    let i = skip(w, 1, &["COLUMN"]);
    let i = skip(w, i, &["IF", "EXISTS"]);
    name(w, i).map(|column| Action::DropColumn { column })
}

/// `ALTER [COLUMN] name …`.
fn alter_column(w: &[Word]) -> Option<Action> {
    let i = skip(w, 1, &["COLUMN"]);
    let column = name(w, i)?;
    let rest = i + 1;
    let is = |kws: &[&str]| super::name::has_seq(w, rest, kws);
    if is(&["TYPE"]) || is(&["SET", "DATA", "TYPE"]) {
        Some(Action::AlterType { column })
    } else if is(&["SET", "NOT", "NULL"]) {
        Some(Action::SetNotNull { column })
    } else {
        None
    }
}

/// `RENAME …`.
fn rename(w: &[Word]) -> Option<Action> {
    let next = w.get(1)?;
    if next.is("TO") || next.is("AS") {
        return name_at(w, 2).map(|(to, _)| Action::RenameTable { to });
    }
    if next.is("CONSTRAINT") || next.is("INDEX") || next.is("KEY") {
        return None;
    }
    let i = skip(w, 1, &["COLUMN"]);
    if w.get(i + 1).is_some_and(|t| t.is("TO")) {
        return name(w, i)
            .zip(name(w, i + 2))
            .map(|(from, to)| Action::RenameColumn { from, to });
    }
    // MySQL: `RENAME new_name`, `TO` being optional.
    name_at(w, 1).map(|(to, _)| Action::RenameTable { to })
}

/// Types whose columns fill themselves from a sequence.
const SERIAL_TYPES: &[&str] = &[
    "SERIAL",
    "BIGSERIAL",
    "SMALLSERIAL",
    "SERIAL2",
    "SERIAL4",
    "SERIAL8",
];

/// What the words of a column definition (after the column's name) say.
fn column_def(w: &[Word]) -> ColumnDef {
    let top = |i: usize| w[i].depth == 0;
    let mut def = ColumnDef {
        not_null: has_seq_at_depth(w, 0, &["NOT", "NULL"]),
        keyed: has_seq_at_depth(w, 0, &["PRIMARY", "KEY"])
            || w.iter().any(|x| x.depth == 0 && x.is("UNIQUE")),
        stored: w.iter().any(|x| x.depth == 0 && x.is("STORED")),
        ..ColumnDef::default()
    };
    if w.first()
        .is_some_and(|t| SERIAL_TYPES.iter().any(|s| t.is(s)))
    {
        def.fills_rows = true;
    }
    for i in (0..w.len()).filter(|&i| top(i)) {
        let x = &w[i];
        let generated = x.is("GENERATED") || x.is("AUTO_INCREMENT") || x.is("IDENTITY");
        let computed = x.is("AS") && w.get(i + 1).is_some_and(|n| n.is_punct('('));
        if generated || computed {
            def.fills_rows = true;
        } else if x.is("DEFAULT") {
            match w.get(i + 1) {
                Some(v) if v.is("NULL") => {}
                Some(v) => {
                    def.fills_rows = true;
                    def.expression_default = v.is_punct('(')
                        || (v.kind == Kind::Name
                            && ["CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"]
                                .iter()
                                .any(|k| v.is(k)));
                }
                None => {}
            }
        }
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn alter(sql: &str) -> Alter {
        parse(&words(sql, Flavor::Generic)).unwrap()
    }

    #[test]
    fn reads_the_table_and_each_action() {
        let a = alter(
            "ALTER TABLE IF EXISTS ONLY app.t ADD COLUMN IF NOT EXISTS c int NOT NULL, \
             DROP COLUMN d, ALTER COLUMN e SET DATA TYPE bigint, ALTER f SET NOT NULL, \
             ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES u (id) NOT VALID, ADD CHECK (g > 0), \
             RENAME COLUMN h TO i",
        );
        assert_eq!(a.table.display(), "app.t");
        assert_eq!(
            a.actions,
            vec![
                Action::AddColumn {
                    column: "c".into(),
                    def: ColumnDef {
                        not_null: true,
                        ..Default::default()
                    }
                },
                Action::DropColumn { column: "d".into() },
                Action::AlterType { column: "e".into() },
                Action::SetNotNull { column: "f".into() },
                Action::AddConstraint {
                    kind: "FOREIGN".into(),
                    not_valid: true
                },
                Action::AddConstraint {
                    kind: "CHECK".into(),
                    not_valid: false
                },
                Action::RenameColumn {
                    from: "h".into(),
                    to: "i".into()
                },
            ]
        );
    }

    #[test]
    fn mysql_forms() {
        let a = alter(
            "ALTER TABLE t MODIFY COLUMN a bigint, CHANGE b c int, ALGORITHM=INPLACE, LOCK = none, \
             RENAME TO u, DROP INDEX k, DROP e, RENAME v",
        );
        assert_eq!(
            a.actions,
            vec![
                Action::Modify { column: "a".into() },
                Action::Change {
                    from: "b".into(),
                    to: "c".into()
                },
                Action::Setting {
                    name: "ALGORITHM".into(),
                    value: "INPLACE".into()
                },
                Action::Setting {
                    name: "LOCK".into(),
                    value: "NONE".into()
                },
                Action::RenameTable {
                    to: Name {
                        parts: vec![("u".into(), false)]
                    }
                },
                Action::Other {
                    keyword: "DROP".into()
                },
                Action::DropColumn { column: "e".into() },
                Action::RenameTable {
                    to: Name {
                        parts: vec![("v".into(), false)]
                    }
                },
            ]
        );
    }

    #[test]
    fn column_definitions() {
        let def = |sql: &str| match &alter(sql).actions[0] {
            Action::AddColumn { def, .. } => def.clone(),
            other => panic!("{other:?}"),
        };
        assert!(def("ALTER TABLE t ADD c int NOT NULL DEFAULT 0").fills_rows);
        assert!(!def("ALTER TABLE t ADD c int DEFAULT NULL NOT NULL").fills_rows);
        assert!(def("ALTER TABLE t ADD c bigserial NOT NULL").fills_rows);
        assert!(def("ALTER TABLE t ADD c int GENERATED ALWAYS AS IDENTITY").fills_rows);
        assert!(def("ALTER TABLE t ADD c int NOT NULL AUTO_INCREMENT").fills_rows);
        let d = def("ALTER TABLE t ADD c text DEFAULT CURRENT_TIMESTAMP CHECK (c IS NOT NULL)");
        assert!(d.expression_default && !d.not_null);
        let d = def("ALTER TABLE t ADD c int AS (a + 1) STORED UNIQUE");
        assert!(d.stored && d.keyed && d.fills_rows);
        assert!(def("ALTER TABLE t ADD c int DEFAULT (random())").expression_default);
    }

    #[test]
    fn not_an_alter_table() {
        assert!(parse(&words("ALTER INDEX i RENAME TO j", Flavor::Generic)).is_none());
        assert!(parse(&words("SELECT 1", Flavor::Generic)).is_none());
    }
}
