//! The server log in its `csvlog` format: one CSV record per message (fields may hold
//! quoted newlines), in PostgreSQL's fixed column order.

use super::serverlog::Entry;
use myrmex_plugin::PluginError;

/// Columns of a csvlog record (PostgreSQL 13 and later add columns at the end; those used
/// here have kept their places since csvlog began).
mod col {
    /// When the message was written.
    pub const TIME: usize = 0;
    /// The session's user.
    pub const USER: usize = 1;
    /// The session's database.
    pub const DATABASE: usize = 2;
    /// The client's host and port.
    pub const CLIENT: usize = 4;
    /// The session id.
    pub const SESSION: usize = 5;
    /// The severity (`LOG`, `ERROR`).
    pub const SEVERITY: usize = 11;
    /// The SQLSTATE.
    pub const SQLSTATE: usize = 12;
    /// The message.
    pub const MESSAGE: usize = 13;
    /// The statement that raised an error.
    pub const QUERY: usize = 19;
}

/// The entries of a csvlog file. A last record cut short by a write in progress (fewer
/// columns than a message has) is left out.
pub fn entries(text: &str) -> Result<Vec<Entry>, PluginError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            PluginError::new(
                myrmex_plugin::ErrorKind::DATABASE,
                format!("the server's csvlog file could not be read near line {line}: {e}"),
            )
        })?;
        if record.len() <= col::MESSAGE {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or_default().to_string();
        out.push(Entry {
            time: field(col::TIME),
            user: field(col::USER),
            database: field(col::DATABASE),
            client: field(col::CLIENT),
            session: field(col::SESSION),
            severity: field(col::SEVERITY),
            sqlstate: field(col::SQLSTATE),
            message: field(col::MESSAGE),
            query: field(col::QUERY),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three records as PostgreSQL 15 writes them: an audit entry whose statement holds a
    /// quoted newline, an error with its statement, and a background process's message.
    pub const SAMPLE: &str = concat!(
        "2026-12-03 10:00:00.123 UTC,\"app\",\"shop\",4242,\"127.0.0.1:50000\",6565f0a0.1092,3,\"INSERT\",",
        "2026-12-03 09:59:59 UTC,3/7,0,LOG,00000,\"AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.t,\"\"insert into t",
        "\nvalues ('a,b')\"\",<not logged>\",,,,,,,,,\"psql\",\"client backend\",,0\n",
        "2026-12-03 10:00:01.000 UTC,\"app\",\"shop\",4242,\"127.0.0.1:50000\",6565f0a0.1092,4,\"INSERT\",",
        "2026-12-03 09:59:59 UTC,3/8,0,ERROR,23505,\"duplicate key value violates unique constraint \"\"t_pkey\"\"\",",
        "\"Key (a)=(1) already exists.\",,,,,\"insert into t values (1)\",,,\"psql\",\"client backend\",,0\n",
        "2026-12-03 10:00:02.000 UTC,,,4000,,6565f000.fa0,1,,2026-12-03 09:00:00 UTC,,0,LOG,00000,",
        "\"checkpoint starting: time\",,,,,,,,,\"\",\"checkpointer\",,0\n",
    );

    #[test]
    fn records_with_quoted_newlines_are_one_entry() {
        let e = entries(SAMPLE).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].time, "2026-12-03 10:00:00.123 UTC");
        assert_eq!(
            (e[0].user.as_str(), e[0].database.as_str()),
            ("app", "shop")
        );
        assert_eq!(e[0].client, "127.0.0.1:50000");
        assert_eq!(e[0].session, "6565f0a0.1092");
        assert_eq!(
            e[0].message,
            "AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.t,\"insert into t\nvalues ('a,b')\",<not logged>"
        );
        assert_eq!(
            (e[1].severity.as_str(), e[1].sqlstate.as_str()),
            ("ERROR", "23505")
        );
        assert_eq!(e[1].query, "insert into t values (1)");
        assert_eq!(e[2].user, "");
    }

    #[test]
    fn a_record_cut_short_is_left_out() {
        let cut = &SAMPLE[..SAMPLE.find("4000,,6565f000").unwrap() + 14];
        let e = entries(cut).unwrap();
        assert_eq!(e.len(), 2);
    }
}
