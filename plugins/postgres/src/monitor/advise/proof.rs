//! Proving an index before proposing it: the statement is explained without and with a
//! hypothetical index (the hypopg extension, visible to this session only, never built),
//! and the planner's choice and estimated cost compared.

use super::super::{get, value};
use crate::session::Session;
use myrmex_plugin::{ErrorKind, PluginError, Value};

/// Whether hypothetical indexes can be made in this database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hypopg {
    /// hypopg is installed in `schema` (quoted when needed); `created` when this advice
    /// created it.
    Ready {
        /// Where its functions are.
        schema: String,
        /// True when `CREATE EXTENSION hypopg` ran for this advice.
        created: bool,
    },
    /// It is not, and why.
    Missing(String),
}

const INSTALLED: &str = "SELECT format('%I', n.nspname) FROM pg_catalog.pg_extension e \
     JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'";

impl Hypopg {
    /// Uses hypopg when it is installed; creates it when the server offers it (the advice
    /// says so in its evidence); else says why it cannot be had.
    pub fn prepare(session: &Session) -> Result<Hypopg, PluginError> {
        if let Some(schema) = installed(session)? {
            return Ok(Hypopg::Ready {
                schema,
                created: false,
            });
        }
        let offered = session.rows(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions \
               WHERE name = 'hypopg')",
            &[],
        )?;
        let offered = match offered.first() {
            Some(r) => get::<bool>(r, 0)?,
            None => false,
        };
        if !offered {
            return Ok(Hypopg::Missing(
                "the server does not offer the extension hypopg \
                 (pg_available_extensions does not list it)"
                    .into(),
            ));
        }
        if let Err(e) = session.rows("CREATE EXTENSION IF NOT EXISTS hypopg", &[]) {
            if is_session_lost(&e) {
                return Err(e);
            }
            return Ok(Hypopg::Missing(format!(
                "CREATE EXTENSION hypopg failed: {}",
                e.message
            )));
        }
        match installed(session)? {
            Some(schema) => Ok(Hypopg::Ready {
                schema,
                created: true,
            }),
            None => Ok(Hypopg::Missing(
                "CREATE EXTENSION hypopg left no extension".into(),
            )),
        }
    }
}

fn installed(session: &Session) -> Result<Option<String>, PluginError> {
    match session.rows(INSTALLED, &[])?.first() {
        Some(r) => get(r, 0),
        None => Ok(None),
    }
}

/// True when an error ended the session (as opposed to a statement the server refused).
fn is_session_lost(e: &PluginError) -> bool {
    matches!(
        e.kind,
        ErrorKind::CLOSED | ErrorKind::CONNECTION | ErrorKind::CANCELLED | ErrorKind::TIMEOUT
    )
}

/// What the planner chose for a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The estimated total cost of the top node.
    pub cost: f64,
    /// The indexes its nodes read.
    pub indexes: Vec<String>,
}

/// Reads the output of `EXPLAIN (FORMAT JSON)`.
pub fn read_plan(json: &str) -> Option<Plan> {
    let doc: serde_json::Value = serde_json::from_str(json).ok()?;
    let top = doc.get(0)?.get("Plan")?;
    let cost = top.get("Total Cost")?.as_f64()?;
    let mut indexes = Vec::new();
    collect_indexes(top, &mut indexes);
    Some(Plan { cost, indexes })
}

fn collect_indexes(node: &serde_json::Value, out: &mut Vec<String>) {
    if let Some(name) = node.get("Index Name").and_then(|n| n.as_str()) {
        out.push(name.to_string());
    }
    if let Some(children) = node.get("Plans").and_then(|p| p.as_array()) {
        for c in children {
            collect_indexes(c, out);
        }
    }
}

/// The plan of `sql`; `None` when the server cannot explain it (the statement does not fit
/// the schema, a bound value does not fit its column).
pub fn explain(session: &Session, sql: &str) -> Result<Option<Plan>, PluginError> {
    let rows = match session.rows(&format!("EXPLAIN (FORMAT JSON) {sql}"), &[]) {
        Ok(rows) => rows,
        Err(e) if is_session_lost(&e) => return Err(e),
        Err(_) => return Ok(None),
    };
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    Ok(match value(r, 0)? {
        Value::Json(text) | Value::Text(text) => read_plan(&text),
        _ => None,
    })
}

/// The planner's verdict on one hypothetical index.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// Estimated cost without the index.
    pub before: f64,
    /// Estimated cost with it.
    pub after: f64,
    /// True when the plan with it reads it.
    pub used: bool,
    /// hypopg's estimate of its size in bytes.
    pub bytes: Option<f64>,
}

impl Proof {
    /// True when the planner uses the index and its cost drops at least `factor` times.
    pub fn proves(&self, factor: f64) -> bool {
        self.used && self.after > 0.0 && self.before / self.after >= factor
    }
}

/// Explains `sql` without and with a hypothetical index `index_def` (`CREATE INDEX ON …`);
/// the index is dropped again whatever happens. `None` when `sql` cannot be explained.
pub fn prove(
    session: &Session,
    schema: &str,
    sql: &str,
    index_def: &str,
) -> Result<Option<Proof>, PluginError> {
    let Some(before) = explain(session, sql)? else {
        return Ok(None);
    };
    let made = session.rows(
        &format!("SELECT indexrelid, indexname::text FROM {schema}.hypopg_create_index($1)"),
        &[&index_def],
    );
    let made = match made {
        Ok(rows) => rows,
        Err(e) if is_session_lost(&e) => return Err(e),
        Err(_) => return Ok(None),
    };
    let Some(row) = made.first() else {
        return Ok(None);
    };
    let oid: u32 = get(row, 0)?;
    let name: String = get(row, 1)?;
    let after = explain(session, sql);
    let bytes = session
        .rows(
            &format!("SELECT {schema}.hypopg_relation_size($1)::float8"),
            &[&oid],
        )
        .ok()
        .and_then(|rows| rows.first().and_then(|r| r.try_get::<_, f64>(0).ok()));
    session.rows(&format!("SELECT {schema}.hypopg_drop_index($1)"), &[&oid])?;
    let Some(after) = after? else {
        return Ok(None);
    };
    Ok(Some(Proof {
        before: before.cost,
        after: after.cost,
        used: after.indexes.contains(&name),
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_gives_its_cost_and_the_indexes_its_nodes_read() {
        let json = r#"[{"Plan": {"Node Type": "Gather", "Total Cost": 4540.5,
            "Plans": [{"Node Type": "Bitmap Heap Scan", "Total Cost": 12.0,
              "Plans": [{"Node Type": "Bitmap Index Scan",
                         "Index Name": "<13543>btree_t_customer_id"}]}]}}]"#;
        let plan = read_plan(json).unwrap();
        assert_eq!(plan.cost, 4540.5);
        assert_eq!(plan.indexes, ["<13543>btree_t_customer_id"]);
        assert_eq!(read_plan("[]"), None);
        assert_eq!(read_plan("not json"), None);
    }

    #[test]
    fn a_proof_needs_the_index_used_and_the_cost_halved() {
        let p = Proof {
            before: 100.0,
            after: 50.0,
            used: true,
            bytes: None,
        };
        assert!(p.proves(2.0));
        assert!(!Proof {
            after: 51.0,
            ..p.clone()
        }
        .proves(2.0));
        assert!(!Proof { used: false, ..p }.proves(2.0));
    }
}
