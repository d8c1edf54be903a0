//! Table options and partitioning, views, triggers, routines and events, and what the
//! definition cannot hold (sequences, system-versioned tables, subpartitions, `ON UPDATE`
//! column clauses, index comments), listed as unsupported by kind and name.
//!
//! Routines and events are read with `SHOW CREATE …` and kept without their `DEFINER`
//! clause (the user who creates them again becomes the definer). View definitions lose
//! the database qualifier the server adds to every name of their own database.

use crate::catalog::{nonempty, opt, rows, text, Filter, TableRow};
use crate::error::map;
use myrmex_plugin::schema::{
    DialectText, Event, Partition, Routine, SchemaDefinition, Trigger, Unsupported, View,
};
use myrmex_plugin::PluginError;
use mysql::prelude::Queryable;
use mysql::Conn;
use std::collections::{BTreeMap, HashMap};

/// What a table holds besides its columns and keys.
#[derive(Debug, Default, Clone)]
pub struct TableFacts {
    /// The table's collation.
    pub collation: Option<String>,
    /// The table's character set.
    pub charset: Option<String>,
    /// Options that differ from the database's defaults.
    pub options: BTreeMap<String, String>,
    /// `RANGE (expr)`, `LIST COLUMNS(a)`, `HASH (id)`, ….
    pub partition_by: Option<String>,
    /// Partitions in order.
    pub partitions: Vec<Partition>,
    /// Subpartition names (not expressible).
    pub subpartitions: Vec<String>,
}

/// Per table (database, name): options and partitioning.
pub fn table_facts(
    conn: &mut Conn,
    f: Filter,
) -> Result<HashMap<(String, String), TableFacts>, PluginError> {
    let sql = "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.ENGINE, t.TABLE_COLLATION, \
        (SELECT MIN(c.CHARACTER_SET_NAME) FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c \
          WHERE c.COLLATION_NAME = t.TABLE_COLLATION), t.CREATE_OPTIONS, \
        s.DEFAULT_COLLATION_NAME, s.DEFAULT_CHARACTER_SET_NAME, @@default_storage_engine \
        FROM information_schema.TABLES t JOIN information_schema.SCHEMATA s ON s.SCHEMA_NAME = t.TABLE_SCHEMA \
        WHERE {} AND t.TABLE_TYPE = 'BASE TABLE'";
    let mut out = HashMap::new();
    for r in rows(conn, sql, f.condition("t.TABLE_SCHEMA", "t.TABLE_NAME"))? {
        let mut facts = TableFacts {
            collation: nonempty(&r, 3),
            charset: nonempty(&r, 4),
            ..Default::default()
        };
        let engine = text(&r, 2);
        if !engine.eq_ignore_ascii_case(&text(&r, 8)) && !engine.is_empty() {
            facts.options.insert("engine".into(), engine);
        }
        if facts.charset.is_some() && facts.charset != nonempty(&r, 7) {
            facts.options.insert("charset".into(), text(&r, 4));
        }
        if facts.collation.is_some() && facts.collation != nonempty(&r, 6) {
            facts.options.insert("collation".into(), text(&r, 3));
        }
        for opt in text(&r, 5).split_whitespace() {
            if let Some((k, v)) = opt.split_once('=') {
                facts
                    .options
                    .insert(k.to_ascii_lowercase(), v.trim_matches('\'').to_string());
            }
        }
        out.insert((text(&r, 0), text(&r, 1)), facts);
    }
    let sql = "SELECT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, PARTITION_METHOD, \
        PARTITION_EXPRESSION, PARTITION_DESCRIPTION, SUBPARTITION_NAME \
        FROM information_schema.PARTITIONS WHERE {} AND PARTITION_NAME IS NOT NULL \
        ORDER BY TABLE_SCHEMA, TABLE_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION";
    for r in rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))? {
        let Some(facts) = out.get_mut(&(text(&r, 0), text(&r, 1))) else {
            continue;
        };
        let method = text(&r, 3);
        let expr = text(&r, 4);
        facts.partition_by = Some(if method.ends_with("COLUMNS") {
            format!("{method}({expr})")
        } else {
            format!("{method} ({expr})")
        });
        let name = text(&r, 2);
        if let Some(sub) = nonempty(&r, 6) {
            facts.subpartitions.push(format!("{name}.{sub}"));
        }
        if facts.partitions.iter().any(|p| p.name == name) {
            continue;
        }
        let desc = text(&r, 5);
        let bound = if method.starts_with("RANGE") {
            if desc == "MAXVALUE" {
                "VALUES LESS THAN MAXVALUE".to_string()
            } else {
                format!("VALUES LESS THAN ({desc})")
            }
        } else if method.starts_with("LIST") {
            format!("VALUES IN ({desc})")
        } else {
            String::new()
        };
        facts.partitions.push(Partition { name, bound });
    }
    // HASH and KEY partitions named p0, p1, … are what `PARTITIONS n` makes: say it so.
    for facts in out.values_mut() {
        let hashed = facts
            .partition_by
            .as_deref()
            .is_some_and(|p| p.contains("HASH") || p.contains("KEY"));
        let default_names = facts
            .partitions
            .iter()
            .enumerate()
            .all(|(i, p)| p.name == format!("p{i}") && p.bound.is_empty());
        if hashed && default_names && !facts.partitions.is_empty() {
            let n = facts.partitions.len();
            if let Some(by) = facts.partition_by.as_mut() {
                by.push_str(&format!(" PARTITIONS {n}"));
            }
            facts.partitions.clear();
        }
    }
    Ok(out)
}

/// `CREATE DEFINER=`u`@`h` FUNCTION …` → `CREATE FUNCTION …`.
fn without_definer(sql: &str) -> String {
    let Some(at) = sql.find("DEFINER=") else {
        return sql.to_string();
    };
    let rest = &sql[at..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let mut out = sql[..at].to_string();
    out.push_str(rest[end..].trim_start());
    out
}

/// Reads views, triggers, routines and events, and the unsupported objects, into `def`.
pub fn read(
    conn: &mut Conn,
    f: Filter,
    field: &dyn Fn(&str) -> Option<String>,
    listed: &[TableRow],
    facts: &HashMap<(String, String), TableFacts>,
    def: &mut SchemaDefinition,
) -> Result<(), PluginError> {
    let sql =
        "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE, ALGORITHM \
        FROM information_schema.VIEWS WHERE {} ORDER BY TABLE_SCHEMA, TABLE_NAME";
    for r in rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))? {
        let schema = text(&r, 0);
        let body = text(&r, 2);
        let prefix = format!("`{schema}`.");
        let depends_on = listed
            .iter()
            .filter(|t| t.schema == schema && body.contains(&format!("{prefix}`{}`", t.name)))
            .map(|t| t.name.clone())
            .collect();
        let mut options = BTreeMap::new();
        let algorithm = text(&r, 5);
        if !algorithm.is_empty() && algorithm != "UNDEFINED" {
            options.insert("algorithm".to_string(), algorithm.to_ascii_lowercase());
        }
        if text(&r, 4) == "INVOKER" {
            options.insert("sql_security".to_string(), "invoker".to_string());
        }
        let check = text(&r, 3);
        def.views.push(View {
            schema: field(&schema),
            name: text(&r, 1),
            sql: DialectText::Any(body.replace(&prefix, "")),
            columns: Vec::new(),
            materialized: false,
            check_option: (check != "NONE" && !check.is_empty())
                .then(|| check.to_ascii_lowercase()),
            options,
            depends_on,
            indexes: Vec::new(),
            comment: None,
        });
    }
    // A trigger's text as it was written (`SHOW CREATE TRIGGER`), without its definer.
    let sql = "SELECT TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME \
        FROM information_schema.TRIGGERS WHERE {} \
        ORDER BY TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER";
    for r in rows(
        conn,
        sql,
        f.condition("TRIGGER_SCHEMA", "EVENT_OBJECT_TABLE"),
    )? {
        let (schema, table, name) = (text(&r, 0), text(&r, 1), text(&r, 2));
        let row: Option<mysql::Row> = conn
            .query_first(format!("SHOW CREATE TRIGGER `{schema}`.`{name}`"))
            .map_err(map)?;
        let Some(body) = row.as_ref().and_then(|row| opt(row, 2)) else {
            def.unsupported.push(Unsupported {
                kind: "trigger".to_string(),
                name: format!("{schema}.{name}"),
                reason: "its text is hidden from this user".to_string(),
            });
            continue;
        };
        def.triggers.push(Trigger {
            schema: field(&schema),
            sql: DialectText::Any(without_definer(&body)),
            table,
            name,
            disabled: false,
        });
    }
    let sql = "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
        WHERE {} ORDER BY ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE";
    for r in rows(conn, sql, f.condition("ROUTINE_SCHEMA", "ROUTINE_NAME"))? {
        let (schema, name, kind) = (text(&r, 0), text(&r, 1), text(&r, 2));
        let show = format!("SHOW CREATE {kind} `{schema}`.`{name}`");
        let row: Option<mysql::Row> = conn.query_first(&show).map_err(map)?;
        let Some(body) = row.as_ref().and_then(|row| opt(row, 2)) else {
            def.unsupported.push(Unsupported {
                kind: kind.to_ascii_lowercase(),
                name: format!("{schema}.{name}"),
                reason: "its text is hidden from this user".to_string(),
            });
            continue;
        };
        def.routines.push(Routine {
            schema: field(&schema),
            name,
            kind: kind.to_ascii_lowercase(),
            arguments: String::new(),
            sql: DialectText::Any(without_definer(&body)),
            depends_on: Vec::new(),
            comment: None,
        });
    }
    let sql = "SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS WHERE {} \
        ORDER BY EVENT_SCHEMA, EVENT_NAME";
    for r in rows(conn, sql, f.condition("EVENT_SCHEMA", "EVENT_NAME"))? {
        let (schema, name) = (text(&r, 0), text(&r, 1));
        let row: Option<mysql::Row> = conn
            .query_first(format!("SHOW CREATE EVENT `{schema}`.`{name}`"))
            .map_err(map)?;
        if let Some(body) = row.as_ref().and_then(|row| opt(row, 3)) {
            def.events.push(Event {
                schema: field(&schema),
                name,
                sql: DialectText::Any(without_definer(&body)),
            });
        }
    }
    unsupported(conn, f, listed, facts, def)
}

fn unsupported(
    conn: &mut Conn,
    f: Filter,
    listed: &[TableRow],
    facts: &HashMap<(String, String), TableFacts>,
    def: &mut SchemaDefinition,
) -> Result<(), PluginError> {
    let mut add = |kind: &str, name: String, reason: &str| {
        def.unsupported.push(Unsupported {
            kind: kind.to_string(),
            name,
            reason: reason.to_string(),
        })
    };
    for t in listed {
        let kind = match t.table_type.as_str() {
            "BASE TABLE" | "VIEW" => continue,
            "SEQUENCE" => "sequence",
            "SYSTEM VERSIONED" => "system-versioned table",
            _ => "table",
        };
        add(
            kind,
            format!("{}.{}", t.schema, t.name),
            &format!(
                "a {} is not part of the definition",
                t.table_type.to_ascii_lowercase()
            ),
        );
    }
    for ((schema, table), fact) in facts {
        for sub in &fact.subpartitions {
            add(
                "subpartition",
                format!("{schema}.{table}.{sub}"),
                "subpartitions are not part of the definition",
            );
        }
    }
    let sql =
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, EXTRA FROM information_schema.COLUMNS \
        WHERE {} AND EXTRA LIKE '%on update%'";
    for r in rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))? {
        add(
            "column attribute",
            format!("{}.{}.{}", text(&r, 0), text(&r, 1), text(&r, 2)),
            &format!("`{}` is not part of the definition", text(&r, 3)),
        );
    }
    let sql =
        "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS \
        WHERE {} AND INDEX_COMMENT <> ''";
    for r in rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))? {
        add(
            "comment",
            format!("{}.{}.{}", text(&r, 0), text(&r, 1), text(&r, 2)),
            "index comments are not part of the definition",
        );
    }
    def.unsupported
        .sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definer_clause_comes_off() {
        assert_eq!(
            without_definer("CREATE DEFINER=`root`@`localhost` FUNCTION `f`() RETURNS int"),
            "CREATE FUNCTION `f`() RETURNS int"
        );
        assert_eq!(without_definer("CREATE EVENT e"), "CREATE EVENT e");
    }
}
