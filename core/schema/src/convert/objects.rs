//! Schema-wide objects: schemas, extensions, enums, domains, sequences, and the kinds
//! conversion does not translate (views, routines, triggers, events, grants, virtual tables).

use super::report::{Action, ObjectKind};
use super::Cx;
use crate::definition::{DialectText, SchemaDefinition};
use crate::dialect::Dialect;

pub(crate) fn convert(src: &SchemaDefinition, out: &mut SchemaDefinition, cx: &mut Cx) {
    let to = cx.to;
    let pg = to == Dialect::Postgres;
    for s in &src.schemas {
        if to == Dialect::Sqlite {
            cx.report.push(
                ObjectKind::Schema,
                &s.name,
                Action::NotConverted,
                "SQLite has no schemas: its tables go to the main database",
                false,
            );
        } else {
            out.schemas.push(s.clone());
        }
    }
    for e in &src.extensions {
        if pg {
            out.extensions.push(e.clone());
        } else {
            cx.report.push(
                ObjectKind::Extension,
                &e.name,
                Action::NotConverted,
                format!("PostgreSQL extension; {to} has none (columns of its types have lines of their own)"),
                false,
            );
        }
    }
    for e in &src.enums {
        if pg {
            out.enums.push(e.clone());
        } else {
            cx.report.push(
                ObjectKind::Enum,
                &e.name,
                Action::Mapped,
                if to.is_mysql_family() {
                    "inlined: each column of this type is an ENUM(…) column".to_string()
                } else {
                    "inlined: each column of this type is text with a CHECK (… IN (…))".to_string()
                },
                false,
            );
        }
    }
    out.enums.extend(cx.new_enums.drain(..));
    for d in &src.domains {
        if pg {
            out.domains.push(d.clone());
        } else {
            cx.report.push(
                ObjectKind::Domain,
                &d.name,
                Action::Mapped,
                format!("inlined: each column of this domain is {} with the domain's default, NOT NULL and checks", d.ty),
                false,
            );
        }
    }
    sequences(src, out, cx);
    let not_converted = |kind: ObjectKind, name: String, detail: String, cx: &mut Cx| {
        cx.report
            .push(kind, name, Action::NotConverted, detail, true)
    };
    for v in &src.views {
        let kind = if v.materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        let text = match (&v.sql, pg) {
            (DialectText::PerDialect(m), _) if m.contains_key(to.name()) => {
                out.views.push(v.clone());
                continue;
            }
            _ => "its SELECT is written for the source engine; write it for the target by hand",
        };
        not_converted(kind, qualified(&v.schema, &v.name), text.into(), cx);
    }
    for r in &src.routines {
        let name = format!("{}({})", qualified(&r.schema, &r.name), r.arguments);
        not_converted(
            ObjectKind::Routine,
            name,
            format!("{}: its body is in the source engine's language", r.kind),
            cx,
        );
    }
    for t in &src.triggers {
        not_converted(
            ObjectKind::Trigger,
            format!("{}.{}", t.table, t.name),
            "trigger bodies are in the source engine's language".into(),
            cx,
        );
    }
    for e in &src.events {
        not_converted(
            ObjectKind::Event,
            e.name.clone(),
            "scheduled event".into(),
            cx,
        );
    }
    for g in &src.grants {
        not_converted(
            ObjectKind::Grant,
            format!("{} {} to {}", g.on, g.object, g.to),
            format!("{} (roles differ between engines)", g.privileges.join(", ")),
            cx,
        );
    }
    for v in &src.virtual_tables {
        not_converted(
            ObjectKind::VirtualTable,
            v.name.clone(),
            format!("SQLite {} module", v.module),
            cx,
        );
    }
    for u in &src.unsupported {
        not_converted(
            ObjectKind::Unsupported,
            format!("{} {}", u.kind, u.name),
            if u.reason.is_empty() {
                "not in the source definition either".into()
            } else {
                u.reason.clone()
            },
            cx,
        );
    }
}

fn qualified(schema: &Option<String>, name: &str) -> String {
    match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_string(),
    }
}

fn sequences(src: &SchemaDefinition, out: &mut SchemaDefinition, cx: &mut Cx) {
    let to = cx.to;
    for s in &src.sequences {
        let name = qualified(&s.schema, &s.name);
        let identity = s
            .owned_by
            .as_ref()
            .filter(|o| cx.identity_columns.contains(o))
            .cloned()
            .or_else(|| {
                cx.nextval_sequences
                    .iter()
                    .any(|n| n == &s.name || n == &name)
                    .then(|| "its nextval() default".to_string())
            });
        if let Some(col) = identity {
            cx.report.push(
                ObjectKind::Sequence,
                &name,
                Action::Mapped,
                format!("replaced by the identity of {col}; its current value is data: the copy sets the counter to the copied maximum"),
                false,
            );
            continue;
        }
        match to {
            Dialect::Postgres | Dialect::Mariadb => {
                out.sequences.push(s.clone());
                cx.report.push(
                    ObjectKind::Sequence,
                    &name,
                    Action::Note,
                    "kept; its current value is data: the copy resets it",
                    false,
                );
            }
            _ => cx.report.push(
                ObjectKind::Sequence,
                &name,
                Action::Dropped,
                format!("{to} has no sequences"),
                true,
            ),
        }
    }
    if !cx.identity_columns.is_empty() {
        cx.report.push(
            ObjectKind::Sequence,
            "identity columns",
            Action::Note,
            format!(
                "{} identity column(s) kept; their counters are data: the copy sets each to the copied maximum",
                cx.identity_columns.len()
            ),
            false,
        );
    }
}
