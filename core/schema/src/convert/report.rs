//! The report of a conversion: one [`Decision`] per thing that was not carried over
//! unchanged, naming the object, what was done and why.

use crate::definition::SchemaDefinition;
use crate::dialect::Dialect;
use serde::Serialize;
use std::fmt;

/// What kind of object a decision is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A table.
    Table,
    /// A column (its type, nullability or identity).
    Column,
    /// A column default.
    Default,
    /// A generated column's expression.
    Generated,
    /// A CHECK constraint.
    Check,
    /// A UNIQUE constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// An index.
    Index,
    /// An EXCLUDE constraint.
    Exclude,
    /// A row-level security policy.
    Policy,
    /// A sequence.
    Sequence,
    /// An enum type.
    Enum,
    /// A domain.
    Domain,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A function or procedure.
    Routine,
    /// A trigger.
    Trigger,
    /// A scheduled event.
    Event,
    /// A privilege grant.
    Grant,
    /// An extension.
    Extension,
    /// A schema (namespace).
    Schema,
    /// A virtual table.
    VirtualTable,
    /// Something the source definition already listed as unsupported.
    Unsupported,
}

impl ObjectKind {
    /// The kind as words (`foreign key`, `materialized view`).
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Default => "default",
            ObjectKind::Generated => "generated column",
            ObjectKind::Check => "check",
            ObjectKind::Unique => "unique",
            ObjectKind::ForeignKey => "foreign key",
            ObjectKind::Index => "index",
            ObjectKind::Exclude => "exclude constraint",
            ObjectKind::Policy => "policy",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Routine => "routine",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Event => "event",
            ObjectKind::Grant => "grant",
            ObjectKind::Extension => "extension",
            ObjectKind::Schema => "schema",
            ObjectKind::VirtualTable => "virtual table",
            ObjectKind::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was done to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Given another type or form with the same values (`money` → `decimal(19,2)`).
    Mapped,
    /// An expression or name rewritten for the target (`0::numeric` → `0`).
    Rewritten,
    /// Inheritance or partitioning turned into plain tables.
    Flattened,
    /// Left out of the converted definition, on a rule or because the target has no
    /// equivalent.
    Dropped,
    /// Not convertible without a user decision; the conversion fails naming it.
    Refused,
    /// An object kind conversion does not translate (views, routines, triggers, …): left out,
    /// listed so that it can be written by hand.
    NotConverted,
    /// Carried over unchanged, said for information (current values of sequences, …).
    Note,
}

impl Action {
    /// The action as a word.
    pub fn name(self) -> &'static str {
        match self {
            Action::Mapped => "mapped",
            Action::Rewritten => "rewritten",
            Action::Flattened => "flattened",
            Action::Dropped => "dropped",
            Action::Refused => "refused",
            Action::NotConverted => "not converted",
            Action::Note => "note",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The kind of object.
    pub kind: ObjectKind,
    /// Its name: `table`, `table.column`, a constraint or index name, a view name.
    pub object: String,
    /// What was done.
    pub action: Action,
    /// What exactly, and why.
    pub detail: String,
    /// True when the target loses something the source had (values, checking, behaviour,
    /// an object); `strict` turns these into an error.
    pub loss: bool,
}

impl Decision {
    /// A decision line.
    pub fn new(
        kind: ObjectKind,
        object: impl Into<String>,
        action: Action,
        detail: impl Into<String>,
        loss: bool,
    ) -> Self {
        Decision {
            kind,
            object: object.into(),
            action,
            detail: detail.into(),
            loss,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}: {}{}",
            self.kind,
            self.object,
            self.action.name(),
            self.detail,
            if self.loss { " [loss]" } else { "" }
        )
    }
}

/// A converted definition and the decisions that made it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conversion {
    /// Source dialect.
    #[serde(serialize_with = "dialect_name")]
    pub from: Dialect,
    /// Target dialect.
    #[serde(serialize_with = "dialect_name")]
    pub to: Dialect,
    /// The definition for the target dialect.
    pub definition: SchemaDefinition,
    /// Every decision, in the order the objects were met.
    pub report: Vec<Decision>,
}

fn dialect_name<S: serde::Serializer>(d: &Dialect, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.name())
}

impl Conversion {
    /// The decisions that lose something (values, checking, behaviour or an object).
    pub fn losses(&self) -> Vec<&Decision> {
        self.report.iter().filter(|d| d.loss).collect()
    }

    /// The report as text, one decision a line (`-- ` prefixed, so that it can sit beside
    /// DDL), ending with a count of decisions and losses.
    pub fn report_text(&self) -> String {
        let mut out = String::new();
        for d in &self.report {
            out.push_str(&format!("-- {d}\n"));
        }
        out.push_str(&format!(
            "-- {} → {}: {} decision(s), {} loss(es)\n",
            self.from,
            self.to,
            self.report.len(),
            self.losses().len()
        ));
        out
    }

    /// The conversion as JSON: `from`, `to`, `definition`, `report` and `losses` (a count).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("losses".into(), self.losses().len().into());
        }
        v
    }
}

/// The decisions made while converting, gathered by every step.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub lines: Vec<Decision>,
}

impl Report {
    pub fn push(
        &mut self,
        kind: ObjectKind,
        object: impl Into<String>,
        action: Action,
        detail: impl Into<String>,
        loss: bool,
    ) {
        self.lines
            .push(Decision::new(kind, object, action, detail, loss));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_kind_object_action_and_loss() {
        let d = Decision::new(
            ObjectKind::Column,
            "film.fulltext",
            Action::Mapped,
            "tsvector → text",
            true,
        );
        assert_eq!(
            d.to_string(),
            "column film.fulltext: mapped: tsvector → text [loss]"
        );
        let c = Conversion {
            from: Dialect::Postgres,
            to: Dialect::Mysql,
            definition: SchemaDefinition::default(),
            report: vec![
                d,
                Decision::new(ObjectKind::View, "v", Action::Note, "x", false),
            ],
        };
        assert_eq!(c.losses().len(), 1);
        assert!(c.report_text().ends_with("2 decision(s), 1 loss(es)\n"));
        let j = c.to_json();
        assert_eq!(j["losses"], 1);
        assert_eq!(j["report"][0]["action"], "mapped");
        assert_eq!(j["report"][0]["kind"], "column");
        assert_eq!(j["to"], "mysql");
    }
}
