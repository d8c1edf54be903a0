//! Exact SQL of every diff rule, per dialect.
