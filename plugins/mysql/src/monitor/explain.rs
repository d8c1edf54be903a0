//! What `EXPLAIN FORMAT=JSON` says about the table a statement reads: how it is accessed,
//! through which index, and how many rows the optimizer expects to examine.

use serde_json::Value as Json;

/// The plan of the first table a statement reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `ALL` (a full scan), `index` (a full index scan), `range`, `ref`, `eq_ref`, `const`, ….
    pub access: String,
    /// The index used, if any.
    pub key: Option<String>,
    /// Rows examined per scan, as the optimizer estimates them.
    pub rows: f64,
}

impl Plan {
    /// True for a scan of every row (of the table or of a whole index).
    pub fn scans_everything(&self) -> bool {
        matches!(self.access.as_str(), "ALL" | "index")
    }
}

/// Reads the plan of the first table in an `EXPLAIN FORMAT=JSON` document (MariaDB puts it
/// in `query_block.nested_loop[0].table` or `query_block.table`; MySQL in
/// `query_block.table` with `rows_examined_per_scan`).
pub fn plan(json: &str) -> Option<Plan> {
    let doc: Json = serde_json::from_str(json).ok()?;
    let table = first_table(&doc)?;
    let access = table.get("access_type")?.as_str()?.to_string();
    let key = table.get("key").and_then(Json::as_str).map(str::to_string);
    let rows = ["rows", "rows_examined_per_scan"]
        .iter()
        .find_map(|k| table.get(*k).and_then(Json::as_f64))?;
    Some(Plan { access, key, rows })
}

/// The first object under a `table` key, depth first in document order.
fn first_table(v: &Json) -> Option<&Json> {
    match v {
        Json::Object(map) => {
            if let Some(t @ Json::Object(inner)) = map.get("table") {
                if inner.contains_key("access_type") {
                    return Some(t);
                }
            }
            map.values().find_map(first_table)
        }
        Json::Array(items) => items.iter().find_map(first_table),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_and_mysql_plans_read_alike() {
        let mariadb = r#"{"query_block": {"select_id": 1, "nested_loop": [{"table": {
            "table_name": "t", "access_type": "ALL", "rows": 50000, "filtered": 100,
            "attached_condition": "t.customer_id = 4242"}}]}}"#;
        let p = plan(mariadb).unwrap();
        assert_eq!(
            (p.access.as_str(), p.key.clone(), p.rows),
            ("ALL", None, 50000.0)
        );
        assert!(p.scans_everything());

        let mysql = r#"{"query_block": {"select_id": 1, "cost_info": {"query_cost": "1.2"},
            "table": {"table_name": "t", "access_type": "ref", "key": "ix_t_c",
            "rows_examined_per_scan": 5, "rows_produced_per_join": 5}}}"#;
        let p = plan(mysql).unwrap();
        assert_eq!(
            (p.access.as_str(), p.key.as_deref(), p.rows),
            ("ref", Some("ix_t_c"), 5.0)
        );
        assert!(!p.scans_everything());
        assert_eq!(plan("{}"), None);
        assert_eq!(plan("not json"), None);
    }
}
