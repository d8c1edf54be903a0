//! `myrmex shard route NAME KEY --shards N [--settings JSON]`: asks a shard router plugin
//! where a key lives.

use crate::engine::Context;
use crate::script::{EXIT_SCRIPT_ERROR, EXIT_USAGE};
use clap::{Subcommand, ValueEnum};
use myrmex_core::{ShardRouter, Value};

/// `myrmex shard …`
#[derive(Debug, Subcommand)]
pub enum ShardCommand {
    /// Print the shard (0-based) that holds KEY, by the router NAME.
    Route {
        /// The router's name (`myrmex plugins` lists them).
        name: String,
        /// The shard key.
        key: String,
        /// How many shards there are.
        #[arg(long)]
        shards: u32,
        /// How to read KEY.
        #[arg(long = "key-type", value_enum, default_value_t = KeyType::Text)]
        key_type: KeyType,
        /// The router's settings as JSON, e.g. '{"seed": 7}'.
        #[arg(long)]
        settings: Option<String>,
    },
}

/// How the command line's key is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// As text.
    Text,
    /// As a 64-bit integer.
    Int,
    /// As a UUID.
    Uuid,
}

/// Runs the command; returns the exit code.
pub fn run(ctx: &Context, cmd: &ShardCommand) -> u8 {
    match cmd {
        ShardCommand::Route {
            name,
            key,
            shards,
            key_type,
            settings,
        } => {
            let key = match key_type {
                KeyType::Text => Value::Text(key.as_str().into()),
                KeyType::Int => match key.trim().parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => {
                        eprintln!("myrmex: --key-type int: `{key}` is not a 64-bit integer");
                        return EXIT_USAGE;
                    }
                },
                KeyType::Uuid => match Value::parse_uuid(key) {
                    Some(u) => Value::Uuid(u),
                    None => {
                        eprintln!("myrmex: --key-type uuid: `{key}` is not a UUID");
                        return EXIT_USAGE;
                    }
                },
            };
            let routed = ShardRouter::open(&ctx.registry, name, settings.as_deref().unwrap_or(""))
                .and_then(|r| r.route(&key, *shards));
            match routed {
                Ok(shard) => {
                    println!("{shard}");
                    0
                }
                Err(e) => {
                    eprintln!("myrmex: {e}");
                    EXIT_SCRIPT_ERROR
                }
            }
        }
    }
}
