//! [`Row`]: one result row for scripts. Reads like an object map (`r.name`, `r["name"]`,
//! `r[0]`, `r.keys()`) but keeps the columns in query order.

use super::package::function;
use super::value::{json_string, runtime, to_json};
use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Module, INT};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// How many empty results remember their columns (see [`rows_value`]).
const EMPTY_RESULTS_KEPT: usize = 64;

thread_local! {
    static EMPTY_RESULTS: RefCell<VecDeque<(i32, Rc<[ImmutableString]>)>> =
        const { RefCell::new(VecDeque::new()) };
    static NEXT_TAG: Cell<i32> = const { Cell::new(1) };
}

/// A query result as a script value: an array of rows. An empty array has no row to carry
/// the column names, so it gets a tag under which the names are kept for a while: printing
/// the result then still shows the header, as psql does for zero rows.
pub fn rows_value(rows: Array, columns: &Rc<[ImmutableString]>) -> Dynamic {
    let empty = rows.is_empty();
    let mut value = Dynamic::from_array(rows);
    if empty && !columns.is_empty() {
        let tag = NEXT_TAG.with(|n| {
            let t = n.get();
            n.set(if t == i32::MAX { 1 } else { t + 1 });
            t
        });
        EMPTY_RESULTS.with(|e| {
            let mut e = e.borrow_mut();
            if e.len() == EMPTY_RESULTS_KEPT {
                e.pop_front();
            }
            e.push_back((tag, columns.clone()));
        });
        value.set_tag(tag);
    }
    value
}

/// The column names of an empty query result made by [`rows_value`], if still known.
pub fn empty_result_columns(value: &Dynamic) -> Option<Rc<[ImmutableString]>> {
    let tag = value.tag();
    if tag == 0 || !value.read_lock::<Array>().is_some_and(|a| a.is_empty()) {
        return None;
    }
    EMPTY_RESULTS.with(|e| {
        e.borrow()
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, c)| c.clone())
    })
}

/// One row: shared column names plus this row's values.
#[derive(Clone, Debug)]
pub struct Row {
    columns: Rc<[ImmutableString]>,
    values: Vec<Dynamic>,
}

impl Row {
    /// A row over `columns`.
    pub fn new(columns: Rc<[ImmutableString]>, values: Vec<Dynamic>) -> Self {
        Row { columns, values }
    }

    /// Column names.
    pub fn columns(&self) -> &[ImmutableString] {
        &self.columns
    }

    /// Values in column order.
    pub fn values(&self) -> &[Dynamic] {
        &self.values
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.as_str() == name)
    }

    fn get(&mut self, name: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        match self.position(name) {
            Some(i) => Ok(self.values[i].clone()),
            None => Err(runtime(format!(
                "row has no column `{name}` (columns: {})",
                self.columns.join(", ")
            ))),
        }
    }

    fn set(&mut self, name: &str, v: Dynamic) {
        match self.position(name) {
            Some(i) => self.values[i] = v,
            None => {
                let mut cols: Vec<ImmutableString> = self.columns.to_vec();
                cols.push(name.into());
                self.columns = cols.into();
                self.values.push(v);
            }
        }
    }

    /// The row as JSON, columns in order.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self
            .columns
            .iter()
            .zip(&self.values)
            .map(|(c, v)| format!("{}:{}", json_string(c), to_json(v)))
            .collect();
        format!("{{{}}}", items.join(","))
    }

    fn display(&self, debug: bool) -> String {
        let items: Vec<String> = self
            .columns
            .iter()
            .zip(&self.values)
            .map(|(c, v)| {
                let shown = if v.is_string() || v.is_unit() || debug {
                    format!("{v:?}")
                } else {
                    v.to_string()
                };
                format!("{c}: {shown}")
            })
            .collect();
        format!("#{{{}}}", items.join(", "))
    }
}

/// Registers `Row` and its functions.
pub fn register(module: &mut Module) {
    module.set_custom_type::<Row>("Row");
    module.set_indexer_get_fn(|r: &mut Row, name: &str| r.get(name));
    module.set_indexer_get_fn(
        |r: &mut Row, i: INT| -> Result<Dynamic, Box<EvalAltResult>> {
            let n = r.values.len() as INT;
            let idx = if i < 0 { n + i } else { i };
            if (0..n).contains(&idx) {
                Ok(r.values[idx as usize].clone())
            } else {
                Err(runtime(format!(
                    "column index {i} out of range (row has {n} columns)"
                )))
            }
        },
    );
    module.set_indexer_set_fn(
        |r: &mut Row, name: &str, v: Dynamic| -> Result<(), Box<EvalAltResult>> {
            r.set(name, v);
            Ok(())
        },
    );
    function("keys").set_into_module(module, |r: &mut Row| -> Array {
        r.columns.iter().map(|c| Dynamic::from(c.clone())).collect()
    });
    function("values").set_into_module(module, |r: &mut Row| -> Array { r.values.clone() });
    function("len").set_into_module(module, |r: &mut Row| r.values.len() as INT);
    function("contains")
        .set_into_module(module, |r: &mut Row, name: &str| r.position(name).is_some());
    function("to_map").set_into_module(module, |r: &mut Row| -> Map {
        r.columns
            .iter()
            .zip(&r.values)
            .map(|(c, v)| (c.as_str().into(), v.clone()))
            .collect()
    });
    function("to_json").set_into_module(module, |r: &mut Row| r.to_json());
    function("to_string").set_into_module(module, |r: &mut Row| r.display(false));
    function("to_debug").set_into_module(module, |r: &mut Row| r.display(true));
    function("==").set_into_module(module, |a: &mut Row, b: Row| {
        a.columns == b.columns
            && a.values
                .iter()
                .zip(&b.values)
                .all(|(x, y)| x.to_string() == y.to_string() && x.type_name() == y.type_name())
    });
}
