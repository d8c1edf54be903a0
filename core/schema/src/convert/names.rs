//! Names the target accepts: constraint, index and type names within its identifier length
//! (shortened deterministically with a hash of the whole name) and unique in the schema.

use super::report::{Action, ObjectKind};
use super::Cx;
use crate::definition::SchemaDefinition;
use std::collections::HashSet;

/// `name` cut to `max` bytes: its start, `_` and 8 hex digits of a hash of the whole name,
/// so that two long names with the same start stay apart and a rerun gives the same name.
pub(crate) fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    // FNV-1a: stable across runs and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let mut cut = max.saturating_sub(9);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{h:08x}", &name[..cut])
}

pub(crate) fn fix(def: &mut SchemaDefinition, cx: &mut Cx) {
    let max = cx.to.max_identifier().unwrap_or(usize::MAX);
    let mut seen: HashSet<String> = HashSet::new();
    for t in &mut def.tables {
        let table = t.name.clone();
        if table.len() > max {
            cx.report.push(
                ObjectKind::Table,
                &table,
                Action::Refused,
                format!(
                    "name is {} bytes; {} allows {max}: rename it in the source",
                    table.len(),
                    cx.to
                ),
                true,
            );
        }
        for c in &t.columns {
            if c.name.len() > max {
                cx.report.push(
                    ObjectKind::Column,
                    format!("{table}.{}", c.name),
                    Action::Refused,
                    format!("name is {} bytes; {} allows {max}", c.name.len(), cx.to),
                    true,
                );
            }
        }
        let mut names: Vec<(ObjectKind, &mut Option<String>)> = Vec::new();
        for u in &mut t.unique {
            names.push((ObjectKind::Unique, &mut u.name));
        }
        for f in &mut t.foreign_keys {
            names.push((ObjectKind::ForeignKey, &mut f.name));
        }
        for c in &mut t.checks {
            names.push((ObjectKind::Check, &mut c.name));
        }
        for i in &mut t.indexes {
            names.push((ObjectKind::Index, &mut i.name));
        }
        for (kind, slot) in names {
            let Some(old) = slot.clone() else { continue };
            let mut new = shorten(&old, max);
            if seen.contains(&new.to_ascii_lowercase()) {
                // Unique per table in the source (MySQL index names): qualify with the table.
                new = shorten(&format!("{table}_{old}"), max);
                let mut n = 2;
                while seen.contains(&new.to_ascii_lowercase()) {
                    new = shorten(&format!("{table}_{old}_{n}"), max);
                    n += 1;
                }
            }
            seen.insert(new.to_ascii_lowercase());
            if new != old {
                cx.report.push(
                    kind,
                    &old,
                    Action::Rewritten,
                    format!("renamed {new}: {} needs names of at most {max} bytes, unique in the schema", cx.to),
                    false,
                );
                *slot = Some(new);
            }
        }
    }
    for e in &mut def.enums {
        let new = shorten(&e.name, max);
        if new != e.name {
            cx.report.push(
                ObjectKind::Enum,
                &e.name,
                Action::Rewritten,
                format!("renamed {new} ({max} bytes at most)"),
                false,
            );
            let quoted_old = cx.to.quote(&e.name);
            let quoted_new = cx.to.quote(&new);
            for t in &mut def.tables {
                for c in &mut t.columns {
                    if let crate::types::ColumnType::Raw(m) = &mut c.ty {
                        for v in m.values_mut() {
                            if *v == quoted_old {
                                *v = quoted_new.clone();
                            }
                        }
                    }
                }
            }
            e.name = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortening_is_deterministic_and_keeps_names_apart() {
        let a = format!("{}_a", "x".repeat(70));
        let b = format!("{}_b", "x".repeat(70));
        assert_eq!(shorten(&a, 63).len(), 63);
        assert_eq!(shorten(&a, 63), shorten(&a, 63));
        assert_ne!(shorten(&a, 63), shorten(&b, 63));
        assert_eq!(shorten("short", 63), "short");
        assert!(shorten(&"é".repeat(40), 63).len() <= 63);
    }
}
