//! Conversions between serde types and the contract's [`Tree`] document.

use crate::{PluginError, Value};
use myrmex_abi::{ErrorKind, Node, NodeKind, Tree, ValueNE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value as Json};

/// Writes any serializable value (a schema definition) as a [`Tree`].
///
/// ```
/// use myrmex_plugin::tree::{from_tree, to_tree};
/// use std::collections::BTreeMap;
/// let m = BTreeMap::from([("a".to_string(), vec![1, 2]), ("b".to_string(), vec![])]);
/// let t = to_tree(&m).unwrap();
/// let back: BTreeMap<String, Vec<i32>> = from_tree(&t).unwrap();
/// assert_eq!(back, m);
/// ```
pub fn to_tree<T: Serialize>(value: &T) -> Result<Tree, PluginError> {
    let json = serde_json::to_value(value)
        .map_err(|e| PluginError::new(ErrorKind::INTERNAL, format!("cannot encode: {e}")))?;
    let mut nodes = Vec::new();
    push(&mut nodes, String::new(), &json);
    Ok(Tree {
        nodes: nodes.into(),
    })
}

fn push(nodes: &mut Vec<Node>, key: String, json: &Json) {
    let leaf = |v: Value| Node {
        kind: NodeKind::VALUE,
        key: key.clone().into(),
        value: ValueNE::from(v),
        len: 0,
    };
    match json {
        Json::Null => nodes.push(leaf(Value::Null)),
        Json::Bool(b) => nodes.push(leaf(Value::Bool(*b))),
        Json::Number(n) => nodes.push(leaf(match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n
                .as_f64()
                .map(Value::Float)
                .unwrap_or_else(|| Value::Decimal(n.to_string().into())),
        })),
        Json::String(s) => nodes.push(leaf(Value::Text(s.as_str().into()))),
        Json::Array(items) => {
            nodes.push(Node {
                kind: NodeKind::LIST,
                key: key.into(),
                value: ValueNE::from(Value::Null),
                len: items.len() as u32,
            });
            for item in items {
                push(nodes, String::new(), item);
            }
        }
        Json::Object(map) => {
            nodes.push(Node {
                kind: NodeKind::MAP,
                key: key.into(),
                value: ValueNE::from(Value::Null),
                len: map.len() as u32,
            });
            for (k, v) in map {
                push(nodes, k.clone(), v);
            }
        }
    }
}

/// Reads a [`Tree`] into a deserializable type; the error names what did not fit (an
/// unknown field, a wrong type) in serde's words.
pub fn from_tree<T: DeserializeOwned>(tree: &Tree) -> Result<T, String> {
    let json = to_json(tree)?;
    serde_json::from_value(json).map_err(|e| e.to_string())
}

/// The [`Tree`] as a JSON value.
pub fn to_json(tree: &Tree) -> Result<Json, String> {
    if tree.nodes.is_empty() {
        return Ok(Json::Null);
    }
    let mut at = 0;
    let json = read(&tree.nodes, &mut at)?;
    if at != tree.nodes.len() {
        return Err(format!(
            "{} nodes after the end of the document",
            tree.nodes.len() - at
        ));
    }
    Ok(json)
}

fn read(nodes: &[Node], at: &mut usize) -> Result<Json, String> {
    let node = nodes
        .get(*at)
        .ok_or_else(|| "the document ends inside a list or map".to_string())?;
    *at += 1;
    match node.kind {
        NodeKind::LIST => (0..node.len)
            .map(|_| read(nodes, at))
            .collect::<Result<_, _>>()
            .map(Json::Array),
        NodeKind::MAP => {
            let mut map = Map::new();
            for _ in 0..node.len {
                let key = nodes
                    .get(*at)
                    .map(|n| n.key.to_string())
                    .ok_or_else(|| "the document ends inside a map".to_string())?;
                map.insert(key, read(nodes, at)?);
            }
            Ok(Json::Object(map))
        }
        NodeKind::VALUE => {
            let v = node.value.as_enum().map_err(|_| {
                format!(
                    "a value of a type this host does not know at `{}`",
                    node.key
                )
            })?;
            Ok(match v {
                Value::Null => Json::Null,
                Value::Bool(b) => Json::Bool(*b),
                Value::Int(i) => Json::Number((*i).into()),
                Value::Float(f) => Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
                other => Json::String(other.to_string()),
            })
        }
        other => Err(format!(
            "a node of a kind this host does not know ({other:?})"
        )),
    }
}
