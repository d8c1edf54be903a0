//! The schema side of a copy: the source definition converted for the target, the tables
//! created first without what slows loading (indexes, foreign keys, checks), and those added
//! once the rows are in.

use super::state::State;
use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::convert::{convert_schema, CastRules, Decision};
use myrmex_schema::{Dialect, SchemaDefinition, SchemaError};

/// The schemas of a copy.
pub struct Prepared {
    /// The source tables to copy (the source's own definition).
    pub source: SchemaDefinition,
    /// The same tables converted for the target (same order).
    pub target: SchemaDefinition,
    /// The target tables as created before the data.
    pub before_data: SchemaDefinition,
    /// The target's dialect.
    pub dialect: Dialect,
    /// The conversion's decisions.
    pub report: Vec<Decision>,
    /// Tables left out, with the reason.
    pub refused: Vec<(String, String)>,
}

/// Reads the source schema, keeps the `tables` asked for (all when empty) and converts it
/// for the target. A table whose conversion is refused is left out and named.
pub fn prepare(
    src: &mut DatabaseConnection,
    dst: &mut DatabaseConnection,
    tables: &[String],
    rules: &CastRules,
) -> Result<Prepared> {
    let from = src.schema_dialect()?;
    let to = dst.schema_dialect()?;
    let mut source = src.schema()?;
    if !tables.is_empty() {
        for t in tables {
            if !source.tables.iter().any(|x| &x.name == t) {
                return Err(Error::Transfer {
                    table: t.clone(),
                    chunk: None,
                    reason: format!("no such table in `{}`", src.name),
                });
            }
        }
        source.tables.retain(|t| tables.contains(&t.name));
    }
    // Partition children are copied through their parent when the parent is copied.
    source
        .tables
        .retain(|t| t.name != super::state::STATE_TABLE);
    let mut refused = Vec::new();
    let conversion = loop {
        match convert_schema(&source, from, to, rules) {
            Ok(c) => break c,
            Err(SchemaError::ConversionRefused { refused: lines, .. }) => {
                // Find the tables behind the refusals, leave them out and convert the rest.
                let mut out = Vec::new();
                for t in &source.tables {
                    let prefix_dot = format!(" {}.", t.name);
                    let prefix_colon = format!(" {}:", t.name);
                    let why: Vec<&String> = lines
                        .iter()
                        .filter(|l| l.contains(&prefix_dot) || l.contains(&prefix_colon))
                        .collect();
                    if !why.is_empty() {
                        out.push((
                            t.name.clone(),
                            why.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                        ));
                    }
                }
                if out.is_empty() {
                    return Err(Error::SchemaDefinition(SchemaError::ConversionRefused {
                        from,
                        to,
                        refused: lines,
                    }));
                }
                source
                    .tables
                    .retain(|t| !out.iter().any(|(n, _)| n == &t.name));
                for t in &mut source.tables {
                    t.foreign_keys
                        .retain(|f| !out.iter().any(|(n, _)| &f.ref_table == n));
                }
                refused.extend(out);
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut target = conversion.definition;
    let has_schemas = dst.dialect()?.has("schemas");
    for t in &mut target.tables {
        if !has_schemas {
            t.schema = None;
        }
    }
    let after = dst.dialect()?.has("alter_constraints");
    // Foreign keys come after the data on every target (a target that cannot add one to an
    // existing table rebuilds the table with it), so rows load in any order and cycles of
    // references (Sakila's store and staff) load at all.
    let mut before_data = target.clone();
    for t in &mut before_data.tables {
        t.indexes.clear();
        t.foreign_keys.clear();
        if after {
            t.checks.clear();
        }
    }
    // Objects other than tables (views, routines, …) are the conversion report's business;
    // the copy creates tables.
    keep_tables_only(&mut before_data);
    keep_tables_only(&mut target);
    Ok(Prepared {
        source,
        target,
        before_data,
        dialect: to,
        report: conversion.report,
        refused,
    })
}

fn keep_tables_only(def: &mut SchemaDefinition) {
    def.views.clear();
    def.routines.clear();
    def.triggers.clear();
    def.events.clear();
    def.grants.clear();
    def.virtual_tables.clear();
    def.unsupported.clear();
}

/// Creates the tables (before the data); on a resumed run, tables that exist already stay.
pub fn create_tables(dst: &mut DatabaseConnection, p: &Prepared, state: &State) -> Result<()> {
    let existing: Vec<String> = dst.tables()?.iter().map(|t| t.name.to_string()).collect();
    let mut def = p.before_data.clone();
    if state.resuming() {
        def.tables.retain(|t| !existing.contains(&t.name));
        def.enums.clear();
        def.sequences.clear();
        def.domains.clear();
    } else if let Some(t) = def.tables.iter().find(|t| existing.contains(&t.name)) {
        return Err(Error::Transfer {
            table: t.name.clone(),
            chunk: None,
            reason: format!(
                "the table exists in `{}` already; drop it, or continue an interrupted copy with --resume",
                dst.name
            ),
        });
    }
    let stmts = myrmex_schema::SchemaGenerator::new(p.dialect).statements(&def)?;
    for s in &stmts {
        dst.execute(s, &[])?;
    }
    Ok(())
}

/// Adds what [`create_tables`] left out: indexes, foreign keys, and checks where the target
/// adds constraints to existing tables. Statements that must run outside a transaction (a
/// table rebuild's pragmas) run on their own.
pub fn add_constraints(dst: &mut DatabaseConnection, p: &Prepared) -> Result<()> {
    let changes = myrmex_schema::diff(&p.before_data, &p.target, p.dialect)?;
    dst.apply_changes(&changes).map_err(|e| Error::Transfer {
        table: "(indexes and constraints)".into(),
        chunk: None,
        reason: e.to_string(),
    })?;
    Ok(())
}
