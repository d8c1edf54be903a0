//! Chinook's analytical queries, written once for the three engines, and their answers as
//! comparable text: what copies, backups and restores across engines are judged by.

use myrmex_core::{DatabaseConnection, Value};

/// Analytical queries over Chinook, written in SQL all three engines run the same way.
/// Numbers compare to four decimals (SQLite sums decimals as doubles).
pub const CHINOOK_QUERIES: &[&str] = &[
    "SELECT count(*) AS n FROM [Track]",
    "SELECT g.[Name] AS genre, count(*) AS tracks, sum(t.[Milliseconds]) AS ms FROM [Track] t JOIN [Genre] g ON g.[GenreId] = t.[GenreId] GROUP BY g.[Name] ORDER BY g.[Name]",
    "SELECT c.[Country] AS country, sum(i.[Total]) AS total FROM [Invoice] i JOIN [Customer] c ON c.[CustomerId] = i.[CustomerId] GROUP BY c.[Country] ORDER BY c.[Country]",
    "SELECT sum([UnitPrice] * [Quantity]) AS total, count(*) AS line_count FROM [InvoiceLine]",
    "SELECT min([InvoiceDate]) AS first_day, max([InvoiceDate]) AS last_day FROM [Invoice]",
    "SELECT ar.[Name] AS artist, count(DISTINCT al.[AlbumId]) AS albums, count(t.[TrackId]) AS tracks FROM [Artist] ar JOIN [Album] al ON al.[ArtistId] = ar.[ArtistId] JOIN [Track] t ON t.[AlbumId] = al.[AlbumId] GROUP BY ar.[Name] HAVING count(t.[TrackId]) > 30 ORDER BY ar.[Name]",
    "SELECT e.[LastName] AS employee, count(c.[CustomerId]) AS customers FROM [Employee] e LEFT JOIN [Customer] c ON c.[SupportRepId] = e.[EmployeeId] GROUP BY e.[LastName] ORDER BY e.[LastName]",
    "SELECT p.[PlaylistId] AS id, count(pt.[TrackId]) AS tracks FROM [Playlist] p JOIN [PlaylistTrack] pt ON pt.[PlaylistId] = p.[PlaylistId] GROUP BY p.[PlaylistId] ORDER BY p.[PlaylistId]",
];

/// `[Name]` markers of a query written with the Chinook names of the SQLite and MySQL
/// scripts, as `engine` quotes them; `snake` for the PostgreSQL script's names
/// (`InvoiceLine` is `invoice_line` there).
pub fn chinook_sql(template: &str, engine: &str, snake: bool) -> String {
    let q = if engine == "mysql" { '`' } else { '"' };
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
        let name = &rest[open + 1..close];
        let name = if snake {
            let mut s = String::new();
            for (i, ch) in name.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    s.push('_');
                }
                s.push(ch.to_ascii_lowercase());
            }
            s
        } else {
            name.to_string()
        };
        out.push(q);
        out.push_str(&name);
        out.push(q);
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// A query's rows as comparable text (numbers by value, whatever their type), sorted:
/// engines order text by different collations.
pub fn answer(c: &mut DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let mut rows = answer_in_order(c, sql);
    rows.sort();
    rows
}

/// A query's rows as comparable text, in the order the engine returned them.
pub fn answer_in_order(c: &mut DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rs = c
        .execute_query(sql, &[])
        .unwrap_or_else(|e| panic!("{}: {sql}: {e}", c.name));
    (0..rs.len())
        .map(|i| {
            rs.row(i)
                .unwrap_or_default()
                .iter()
                .map(|v| match v {
                    Value::Int(i) => format!("{:.4}", *i as f64),
                    // SQLite sums decimals as doubles: compare to the cent.
                    Value::Decimal(d) => d
                        .parse::<f64>()
                        .map(|f| format!("{f:.4}"))
                        .unwrap_or(d.to_string()),
                    Value::Float(f) => format!("{f:.4}"),
                    Value::Timestamp(t) => t.trim_end_matches(".000000").to_string(),
                    other => other
                        .as_text()
                        .map(str::to_string)
                        .unwrap_or(format!("{other:?}")),
                })
                .collect()
        })
        .collect()
}
