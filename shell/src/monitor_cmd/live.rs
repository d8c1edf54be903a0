//! The live view of `myrmex monitor` on a terminal, refreshed every interval like `top`: a
//! header (connection, server, sessions by state, transactions per second, cache hit ratio,
//! notes), the top statements (the server's when its driver reads them, else this client's),
//! long-running queries and blocked sessions. `q` or Esc quits, `s` changes the column the
//! statements are sorted by, Ctrl-C quits.
//!
//! A sampler thread owns the connection and sends a [`DatabaseMetrics`] per interval; the
//! terminal thread draws and reads keys, so keys are answered at once.

use super::report::number;
use super::{Failure, REPORT_SAMPLES};
use crate::engine::value::to_dynamic;
use crate::interrupt;
use crate::output::{cell, escape_controls};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use myrmex_core::monitor::{monitor_database, DatabaseMetrics, StatementStats, Table};
use myrmex_core::{DatabaseConnection, Value};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Wrap};
use ratatui::Frame;
use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How often keys are read while waiting for the next refresh.
const KEY_POLL: Duration = Duration::from_millis(100);
/// Widest a column of a table is drawn (a query's text is cut there).
const MAX_COLUMN: usize = 80;

/// What the sampler thread sends.
enum Update {
    Metrics(Box<DatabaseMetrics>),
    Error(String),
}

/// A table to draw: named columns over values.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Its title.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of values.
    pub rows: Vec<Vec<Value>>,
}

impl Grid {
    fn of(title: &str, t: &Table) -> Grid {
        Grid {
            title: title.to_string(),
            columns: t.columns.clone(),
            rows: t.rows.clone(),
        }
    }

    fn client(stats: &[StatementStats]) -> Grid {
        let int = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        Grid {
            title: "statements run by this client".into(),
            columns: [
                "statement",
                "count",
                "errors",
                "total_ms",
                "p50_ms",
                "p95_ms",
                "p99_ms",
            ]
            .map(String::from)
            .to_vec(),
            rows: stats
                .iter()
                .map(|s| {
                    vec![
                        Value::Text(s.fingerprint.as_str().into()),
                        int(s.count),
                        int(s.errors),
                        Value::Float(s.total_ms),
                        Value::Float(s.p50_ms),
                        Value::Float(s.p95_ms),
                        Value::Float(s.p99_ms),
                    ]
                })
                .collect(),
        }
    }

    /// Sorts by column `col`: numbers largest first, text from A to Z.
    pub fn sort_by(&mut self, col: usize) {
        let is_text = self
            .rows
            .iter()
            .filter_map(|r| r.get(col))
            .any(|v| numeric(v).is_none() && !matches!(v, Value::Null));
        self.rows.sort_by(|a, b| {
            if is_text {
                compare(a.get(col), b.get(col))
            } else {
                compare(b.get(col), a.get(col))
            }
        });
    }
}

/// A number a value holds, if it is one.
fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a.and_then(numeric), b.and_then(numeric)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => text(a).cmp(&text(b)),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Float(f)) => number(*f),
        Some(v) => escape_controls(&cell(&to_dynamic(v))).into_owned(),
    }
}

/// What the view shows.
pub struct View {
    /// The connection's name.
    pub connection: String,
    /// Its URL without password.
    pub url: String,
    /// The server's engine and version.
    pub server: String,
    /// Milliseconds between refreshes.
    pub interval_ms: u64,
    /// The last measurement.
    pub latest: Option<DatabaseMetrics>,
    /// The last error, shown until the next good refresh.
    pub error: Option<String>,
    /// The column the statements are sorted by (`None`: the order they came in).
    pub sort: Option<usize>,
}

impl View {
    /// The statements table: the server's `top_statements`, else the client's.
    pub fn statements(&self) -> Option<Grid> {
        let m = self.latest.as_ref()?;
        let mut grid = match m.server.table("top_statements") {
            Some(t) => Grid::of("top statements (server)", t),
            None => Grid::client(&m.client),
        };
        if let Some(col) = self.sort.filter(|c| *c < grid.columns.len()) {
            grid.sort_by(col);
        }
        Some(grid)
    }

    /// Moves the sort to the next column of the statements table (after the last: the
    /// order they came in).
    pub fn next_sort(&mut self) {
        let columns = self.statements().map_or(0, |g| g.columns.len());
        self.sort = match self.sort {
            None if columns > 0 => Some(0),
            Some(c) if c + 1 < columns => Some(c + 1),
            _ => None,
        };
    }

    /// The header's lines.
    pub fn header(&self) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(format!(
            "{} ({}) · {} · every {} ms · q quits, s sorts",
            self.connection, self.url, self.server, self.interval_ms
        ))
        .style(Style::default().add_modifier(Modifier::BOLD))];
        let Some(m) = &self.latest else {
            lines.push(Line::from("sampling…"));
            if let Some(e) = &self.error {
                lines.push(Line::from(e.clone()).style(Style::default().fg(Color::Red)));
            }
            return lines;
        };
        let mut states: Vec<String> = m
            .server
            .samples
            .iter()
            .filter(|s| s.name == "connections")
            .map(|s| match s.labels.iter().find(|(k, _)| k == "state") {
                Some((_, state)) => format!("{state} {}", number(s.value)),
                None => number(s.value),
            })
            .collect();
        if states.is_empty() {
            states.push("n/a".into());
        }
        let tps = [
            "transactions_committed_total",
            "transactions_rolled_back_total",
        ]
        .iter()
        .filter_map(|n| m.rate(n))
        .reduce(|a, b| a + b)
        .map_or_else(|| "n/a".to_string(), number);
        let cache = m
            .server
            .value("cache_hit_ratio")
            .map_or_else(|| "n/a".to_string(), |r| format!("{:.1}%", r * 100.0));
        lines.push(Line::from(format!(
            "connections: {} · tps: {tps} · cache hit ratio: {cache}",
            states.join(", ")
        )));
        for n in &m.notes {
            lines.push(Line::from(format!("note: {n}")).style(Style::default().fg(Color::Yellow)));
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(e.clone()).style(Style::default().fg(Color::Red)));
        }
        lines
    }

    /// Draws the whole view.
    pub fn draw(&self, frame: &mut Frame) {
        let header = self.header();
        let height = u16::try_from(header.len() + 2).unwrap_or(u16::MAX);
        let [top, statements, long, blocked] = Layout::vertical([
            Constraint::Length(height),
            Constraint::Percentage(50),
            Constraint::Percentage(25),
            Constraint::Percentage(25),
        ])
        .areas(frame.area());
        frame.render_widget(
            Paragraph::new(header)
                .block(Block::bordered().title(" myrmex monitor "))
                .wrap(Wrap { trim: true }),
            top,
        );
        let empty = |title: &str| Grid {
            title: title.to_string(),
            columns: Vec::new(),
            rows: Vec::new(),
        };
        let statements_grid = self.statements().unwrap_or_else(|| empty("top statements"));
        draw_grid(frame, statements, &statements_grid, self.sort);
        let server = self.latest.as_ref().map(|m| &m.server);
        let long_grid = server.and_then(|s| s.table("long_running")).map_or_else(
            || empty("long-running queries"),
            |t| Grid::of("long-running queries", t),
        );
        draw_grid(frame, long, &long_grid, None);
        let blocked_grid = server.and_then(|s| s.table("blocking")).map_or_else(
            || empty("blocked sessions"),
            |t| Grid::of("blocked sessions", t),
        );
        draw_grid(frame, blocked, &blocked_grid, None);
    }
}

fn draw_grid(frame: &mut Frame, area: Rect, grid: &Grid, sort: Option<usize>) {
    let title = format!(" {} ({}) ", grid.title, grid.rows.len());
    if grid.columns.is_empty() || grid.rows.is_empty() {
        let what = if grid.columns.is_empty() {
            "not reported"
        } else {
            "none"
        };
        frame.render_widget(
            Paragraph::new(what).block(Block::bordered().title(title)),
            area,
        );
        return;
    }
    let cells: Vec<Vec<String>> = grid
        .rows
        .iter()
        .map(|r| r.iter().map(|v| text(Some(v))).collect())
        .collect();
    let header: Vec<String> = grid
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if sort == Some(i) {
                format!("{c} ▼")
            } else {
                c.clone()
            }
        })
        .collect();
    let widths: Vec<Constraint> = (0..header.len())
        .map(|i| {
            let w = cells
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(1)
                .min(MAX_COLUMN);
            Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX))
        })
        .collect();
    let table = ratatui::widgets::Table::new(cells.into_iter().map(Row::new), widths)
        .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .block(Block::bordered().title(title));
    frame.render_widget(table, area);
}

/// Measures `conn` every interval until `stop` is set or `refreshes` were sent.
fn sample(
    mut conn: DatabaseConnection,
    interval: Duration,
    refreshes: Option<u32>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<Update>,
) {
    let mut sent = 0u32;
    while !stop.load(AtomicOrdering::Relaxed) && refreshes.is_none_or(|n| sent < n) {
        let started = Instant::now();
        let update = match monitor_database(&mut conn, REPORT_SAMPLES, interval) {
            Ok(m) => Update::Metrics(Box::new(m)),
            Err(e) => {
                let msg = e.to_string();
                // The next round gets a fresh connection; this one shows the error.
                let retry = conn
                    .reconnect()
                    .err()
                    .map(|r| format!("; reconnecting: {r}"));
                Update::Error(format!("{msg}{}", retry.unwrap_or_default()))
            }
        };
        if tx.send(update).is_err() {
            return;
        }
        sent += 1;
        // At most one refresh an interval, also when nothing waited (no statistics).
        std::thread::sleep((started + interval).saturating_duration_since(Instant::now()));
    }
}

/// Runs the live view until `q`, Esc, Ctrl-C or `refreshes` refreshes.
pub fn run(
    mut conn: DatabaseConnection,
    interval: Duration,
    refreshes: Option<u32>,
) -> Result<u8, Failure> {
    let server = conn
        .server_info()
        .map(|i| format!("{} {}", i.engine, i.version))
        .unwrap_or_else(|_| conn.driver_name().to_string());
    let mut view = View {
        connection: conn.name.clone(),
        url: conn.url(),
        server,
        interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        latest: None,
        error: None,
        sort: None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let sampler_stop = stop.clone();
    std::thread::Builder::new()
        .name("myrmex-monitor".into())
        .spawn(move || sample(conn, interval, refreshes, sampler_stop, tx))?;
    let mut terminal = ratatui::try_init()?;
    let out = (|| -> Result<(), Failure> {
        let mut received = 0u32;
        loop {
            terminal.draw(|f| view.draw(f))?;
            if refreshes.is_some_and(|n| received >= n) || interrupt::stopping() {
                return Ok(());
            }
            if event::poll(KEY_POLL)? {
                if let Event::Key(key) = event::read()? {
                    if key.kind != KeyEventKind::Press {
                        continue;
                    }
                    match key.code {
                        KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                            return Ok(())
                        }
                        KeyCode::Char('s') => view.next_sort(),
                        _ => {}
                    }
                }
            }
            while let Ok(update) = rx.try_recv() {
                received += 1;
                match update {
                    Update::Metrics(m) => {
                        view.latest = Some(*m);
                        view.error = None;
                    }
                    Update::Error(e) => view.error = Some(e),
                }
            }
        }
    })();
    stop.store(true, AtomicOrdering::Relaxed);
    ratatui::restore();
    out.map(|()| 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn view() -> View {
        View {
            connection: "app".into(),
            url: "test://host/app".into(),
            server: "engine 1.0".into(),
            interval_ms: 1000,
            latest: Some(super::super::report::tests::metrics()),
            error: None,
            sort: None,
        }
    }

    fn screen(v: &View) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        terminal.draw(|f| v.draw(f)).expect("draws");
        let buffer = terminal.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_header_sums_up_the_server() {
        let text = screen(&view());
        assert!(text.contains("active 3, idle 5"), "{text}");
        assert!(text.contains("tps: 12.5"), "{text}");
        assert!(text.contains("cache hit ratio: 98.8%"), "{text}");
        assert!(text.contains("note: a note"), "{text}");
        assert!(text.contains("top statements (server) (2)"), "{text}");
        assert!(text.contains("long-running queries (0)"), "{text}");
        assert!(text.contains("not reported"), "{text}");
    }

    #[test]
    fn s_cycles_the_sort_column() {
        let mut v = view();
        let first = |v: &View| v.statements().expect("grid").rows[0][0].clone();
        assert_eq!(first(&v), Value::Text("SELECT 1".into()));
        v.next_sort(); // query, A to Z
        assert_eq!(v.sort, Some(0));
        assert_eq!(first(&v), Value::Text("SELECT 1".into()));
        v.next_sort(); // calls, largest first
        assert_eq!(first(&v), Value::Text("SELECT 2".into()));
        v.next_sort(); // total_ms, largest first
        assert_eq!(first(&v), Value::Text("SELECT 1".into()));
        v.next_sort();
        assert_eq!(v.sort, None);
        assert!(screen(&v).contains("query"));
    }

    #[test]
    fn without_server_statements_the_clients_are_shown() {
        let mut v = view();
        if let Some(m) = v.latest.as_mut() {
            m.server.tables.clear();
            m.client = vec![StatementStats {
                fingerprint: "SELECT v FROM t WHERE id = ?".into(),
                count: 50,
                errors: 0,
                rows: 0,
                total_ms: 5.0,
                p50_ms: 0.1,
                p95_ms: 0.2,
                p99_ms: 0.3,
                max_ms: 0.4,
                example: String::new(),
                example_params: 1,
            }];
        }
        let text = screen(&v);
        assert!(text.contains("statements run by this client (1)"), "{text}");
        assert!(text.contains("SELECT v FROM t WHERE id = ?"), "{text}");
    }
}
