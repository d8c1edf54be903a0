//! # myrmex-audit — audit rule sets for every engine
//!
//! Two `audit` capabilities, for connections of every driver:
//!
//! ## `statements` — statements before they run, or migration files
//!
//! Statements are read with the engine's lexer rules (comments and string literals never
//! trigger a rule). A table created earlier in the same batch is exempt from the rules about
//! its rows and locks. Rules marked *sized* report only tables of at least
//! `large_table_rows` rows (setting, default 100000), looked up on the connection when one
//! is given (PostgreSQL `pg_class.reltuples`, MySQL `information_schema.tables.table_rows`,
//! SQLite `count(*)`); without one the finding says "size unknown".
//!
//! | rule | severity | engines | finds |
//! |---|---|---|---|
//! | `delete-without-where` | high | all | `DELETE` with no `WHERE` of its own (as the statement, after `WITH`, or in a `WITH` body) |
//! | `update-without-where` | high | all | the same for `UPDATE` |
//! | `drop` | high | all | `DROP TABLE`, `DROP DATABASE`, `DROP SCHEMA` |
//! | `truncate` | high | all | `TRUNCATE` |
//! | `grant-all` | medium | all | `GRANT ALL …` |
//! | `add-column-not-null-without-default` | high | PostgreSQL, MySQL/MariaDB | `ADD COLUMN … NOT NULL` with nothing to fill existing rows |
//! | `rename-column` | medium | PostgreSQL, MySQL/MariaDB, SQLite | `RENAME COLUMN`, MySQL `CHANGE old new` |
//! | `rename-table` | medium | PostgreSQL, MySQL/MariaDB, SQLite | `ALTER TABLE … RENAME TO`, `RENAME TABLE` |
//! | `drop-column` | high | PostgreSQL, MySQL/MariaDB, SQLite | `DROP COLUMN` |
//! | `index-without-concurrently` | medium, sized | PostgreSQL | `CREATE INDEX` / `DROP INDEX` without `CONCURRENTLY` |
//! | `set-not-null` | medium, sized | PostgreSQL | `ALTER COLUMN … SET NOT NULL` |
//! | `foreign-key-without-not-valid` | medium, sized | PostgreSQL | `ADD … FOREIGN KEY` without `NOT VALID` |
//! | `check-without-not-valid` | medium, sized | PostgreSQL | `ADD … CHECK` without `NOT VALID` |
//! | `alter-column-type` | high, sized | PostgreSQL | `ALTER COLUMN … TYPE` |
//! | `vacuum-full` | medium, sized | PostgreSQL | `VACUUM FULL` |
//! | `cluster` | medium, sized | PostgreSQL | `CLUSTER` |
//! | `alter-without-online` | medium, sized | MySQL/MariaDB | `ALTER TABLE` without `ALGORITHM=INSTANT\|INPLACE` or `LOCK=NONE`, or redefining a column's type |
//! | `alter-rebuild` | medium, sized | SQLite | `ALTER TABLE` that SQLite can only carry out by rebuilding the table |
//!
//! ## `schema` — the connection's database
//!
//! | rule | severity | engines | finds |
//! |---|---|---|---|
//! | `table-without-primary-key` | medium | all | a table without a primary key |
//! | `foreign-key-without-index` | low | all | a foreign key whose columns lead no index, unique key or primary key |
//! | `plaintext-password-column` | high (low: nothing to sample) | all | a text column named like a password, secret, token or API key whose sampled values are not hashes |
//! | `card-number-column` | high | all | a column named for card numbers, or whose sampled values are mostly card numbers (13–19 digits, Luhn) |
//! | `broad-grants` | medium | PostgreSQL, MySQL/MariaDB | table privileges granted to PUBLIC; accounts other than root with the whole global privilege set, or global privileges from host `%` |
//!
//! Values are sampled with `SELECT … FROM table LIMIT sample_rows` (setting, default 50)
//! and never copied into a finding.

pub mod engine;
pub mod schema;
pub mod statements;
pub mod words;

myrmex_plugin::plugin! {
    audit "statements": "destructive statements and locking or breaking migration steps" => statements::open,
    audit "schema": "tables without keys, secrets and card numbers in the clear, broad grants" => schema::open,
}
