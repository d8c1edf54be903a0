//! Reading a directory of migrations: file names, `-- +up` / `-- +down` sections and
//! `-- myrmex:` directives.
//!
//! | file | holds |
//! |---|---|
//! | `V<version>__<name>.up.sql` | the up part (required) |
//! | `V<version>__<name>.down.sql` | the down part (optional) |
//! | `V<version>__<name>.sql` | both, in `-- +up` / `-- +down` sections (no markers: up only) |
//! | `.rhai` instead of `.sql` | a Rhai migration, given the connection as `db` (`// +up`, `// +down`) |
//!
//! Subdirectories are read too (hidden ones skipped), so a project can file migrations by
//! year or release. Other files are ignored, except that a `.sql` or `.rhai` file whose name starts with `V`
//! and a digit must parse, so that `V1_init.sql` is an error rather than silently skipped.

use super::checksum;
use crate::sql::split_statement_spans;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What language a migration is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationKind {
    /// SQL statements separated by `;`.
    Sql,
    /// A Rhai script run with the connection in `db`.
    Rhai,
}

impl MigrationKind {
    /// `sql` or `rhai`, as recorded in the history table.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationKind::Sql => "sql",
            MigrationKind::Rhai => "rhai",
        }
    }
}

/// One direction of a migration: its text and where it came from.
#[derive(Debug, Clone)]
pub struct Part {
    /// The file it was read from.
    pub file: PathBuf,
    /// 1-based line of the file where `text` starts.
    pub first_line: usize,
    /// The text (SQL or Rhai).
    pub text: String,
    /// `-- myrmex: no-transaction`: run statement by statement outside a transaction.
    pub no_transaction: bool,
    /// `-- myrmex: single-statement`: send the whole part as one statement (MySQL triggers
    /// and procedures whose bodies contain `;`).
    pub single_statement: bool,
}

/// One statement of a part, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line in the file.
    pub line: usize,
    /// The statement text without the trailing `;`.
    pub sql: String,
}

impl Part {
    /// The statements of a SQL part, in order.
    pub fn statements(&self) -> Vec<Statement> {
        if self.single_statement {
            let t = self.text.trim().trim_end_matches(';').trim_end();
            let lead = self.text.len() - self.text.trim_start().len();
            return vec![Statement {
                line: self.first_line + count_lines(&self.text[..lead]),
                sql: t.to_string(),
            }];
        }
        split_statement_spans(&self.text)
            .into_iter()
            .map(|(at, sql)| Statement {
                line: self.first_line + count_lines(&self.text[..at]),
                sql: sql.to_string(),
            })
            .collect()
    }
}

fn count_lines(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'\n').count()
}

/// A versioned migration read from disk.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The version (an integer or a timestamp such as `20261125093000`).
    pub version: i64,
    /// The name after `__`.
    pub name: String,
    /// SQL or Rhai.
    pub kind: MigrationKind,
    /// The up part.
    pub up: Part,
    /// The down part, when there is one.
    pub down: Option<Part>,
    /// Checksum of the up part (see [`super::checksum()`]).
    pub checksum: String,
}

impl Migration {
    /// `V<version>__<name>`, as people refer to it.
    pub fn label(&self) -> String {
        format!("V{}__{}", self.version, self.name)
    }
}

/// The file name split into its parts.
#[derive(Debug, PartialEq, Eq)]
struct FileName {
    version: i64,
    name: String,
    direction: Option<Direction>,
    kind: MigrationKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// Parses a file name; `Ok(None)` for files that are not migrations at all.
fn parse_name(file: &str) -> std::result::Result<Option<FileName>, String> {
    let (stem, kind) = if let Some(s) = file.strip_suffix(".sql") {
        (s, MigrationKind::Sql)
    } else if let Some(s) = file.strip_suffix(".rhai") {
        (s, MigrationKind::Rhai)
    } else {
        return Ok(None);
    };
    let looks_versioned = file.len() > 1
        && file.as_bytes()[0].eq_ignore_ascii_case(&b'v')
        && file.as_bytes()[1].is_ascii_digit();
    if !looks_versioned {
        return Ok(None);
    }
    let expected = "expected V<version>__<name>.up.sql, .down.sql, .sql or the same with .rhai";
    let Some(rest) = stem.strip_prefix('V') else {
        return Err(format!(
            "the version prefix is an upper-case `V`; {expected}"
        ));
    };
    let (stem, direction) = if let Some(s) = rest.strip_suffix(".up") {
        (s, Some(Direction::Up))
    } else if let Some(s) = rest.strip_suffix(".down") {
        (s, Some(Direction::Down))
    } else {
        (rest, None)
    };
    let Some((digits, name)) = stem.split_once("__") else {
        return Err(format!(
            "no `__` between the version and the name; {expected}"
        ));
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "version `{digits}` is not a whole number (use integers or timestamps such as 20261125093000)"
        ));
    }
    let version: i64 = digits
        .parse()
        .map_err(|_| format!("version `{digits}` is too large"))?;
    if name.is_empty() || name.contains('.') {
        return Err(format!(
            "name `{name}` is empty or contains `.`; {expected}"
        ));
    }
    Ok(Some(FileName {
        version,
        name: name.to_string(),
        direction,
        kind,
    }))
}

/// The files found for one version.
#[derive(Default)]
struct Files {
    whole: Vec<(PathBuf, FileName)>,
    up: Vec<(PathBuf, FileName)>,
    down: Vec<(PathBuf, FileName)>,
}

/// Sorts the migration files of `dir` and its subdirectories (`2026/`, `release-4/`, …; hidden
/// ones are skipped) by version.
fn collect(dir: &Path, by_version: &mut BTreeMap<i64, Files>) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(file) = name.to_str() else {
            continue;
        };
        // The directory entry's type costs no system call; symlinks are followed.
        let kind = entry.file_type().map_err(io)?;
        let path = entry.path();
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
            if !file.starts_with('.') {
                collect(&path, by_version)?;
            }
            continue;
        }
        if kind.is_symlink() && !path.is_file() {
            continue;
        }
        let parsed = parse_name(file).map_err(|message| Error::MigrationFile {
            path: path.clone(),
            line: None,
            message,
        })?;
        let Some(parsed) = parsed else {
            tracing::debug!("ignoring {}", path.display());
            continue;
        };
        let files = by_version.entry(parsed.version).or_default();
        match parsed.direction {
            None => files.whole.push((path, parsed)),
            Some(Direction::Up) => files.up.push((path, parsed)),
            Some(Direction::Down) => files.down.push((path, parsed)),
        }
    }
    Ok(())
}

/// Reads every migration in `dir` and its subdirectories, sorted by version.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>> {
    let mut by_version: BTreeMap<i64, Files> = BTreeMap::new();
    collect(dir, &mut by_version)?;
    // Reading and hashing thousands of files is most of `status`: use every core.
    let groups: Vec<(i64, Files)> = by_version.into_iter().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || groups.len() < 64 {
        return groups.into_iter().map(|(v, f)| assemble(v, f)).collect();
    }
    let chunk = groups.len().div_ceil(threads);
    let mut groups = groups.into_iter();
    let chunks: Vec<Vec<(i64, Files)>> = (0..threads)
        .map(|_| groups.by_ref().take(chunk).collect())
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                scope.spawn(move || {
                    c.into_iter()
                        .map(|(v, f)| assemble(v, f))
                        .collect::<Result<Vec<Migration>>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part?),
                Err(_) => {
                    return Err(Error::MigrationReaderPanicked {
                        dir: dir.to_path_buf(),
                    })
                }
            }
        }
        Ok(out)
    })
}

fn duplicate(version: i64, paths: &[&PathBuf]) -> Error {
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Error::MigrationFile {
        path: paths[0].clone(),
        line: None,
        message: format!(
            "version {version} is defined more than once: {}",
            list.join(", ")
        ),
    }
}

fn assemble(version: i64, files: Files) -> Result<Migration> {
    let ups: Vec<&PathBuf> = files.whole.iter().chain(&files.up).map(|f| &f.0).collect();
    if ups.len() > 1 {
        return Err(duplicate(version, &ups));
    }
    if files.down.len() > 1 {
        let downs: Vec<&PathBuf> = files.down.iter().map(|f| &f.0).collect();
        return Err(duplicate(version, &downs));
    }
    let Some(first) = files.whole.first().or(files.up.first()) else {
        let (path, _) = &files.down[0];
        return Err(Error::MigrationFile {
            path: path.clone(),
            line: None,
            message: format!("a down part without an up part for version {version}"),
        });
    };
    let (path, name) = first;
    if let Some((down_path, down_name)) = files.down.first() {
        if down_name.name != name.name || down_name.kind != name.kind {
            return Err(Error::MigrationFile {
                path: down_path.clone(),
                line: None,
                message: format!(
                    "does not match its up part {} (same name and extension expected)",
                    path.display()
                ),
            });
        }
    }
    let text = read(path)?;
    let (up, mut down) = if files.whole.is_empty() {
        (whole_part(path, &text, name.kind)?, None)
    } else {
        sections(path, &text, name.kind)?
    };
    if let Some((down_path, _)) = files.down.first() {
        if down.is_some() {
            return Err(Error::MigrationFile {
                path: down_path.clone(),
                line: None,
                message: format!("{} already has a `+down` section", path.display()),
            });
        }
        let text = read(down_path)?;
        down = Some(whole_part(down_path, &text, name.kind)?);
    }
    Ok(Migration {
        version,
        name: name.name.clone(),
        kind: name.kind,
        checksum: checksum::of(&up.text),
        up,
        down,
    })
}

fn read(path: &Path) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // A plain read loop: `fs::read` and `read_to_end` ask for the file size first (one more
    // system call per file, which shows with thousands of migrations).
    // One buffer per thread, so ten thousand small files do not cost ten thousand pages.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let bytes = BUF.with_borrow_mut(|buf| {
        let mut len = 0;
        loop {
            if len == buf.len() {
                buf.resize(len * 2, 0);
            }
            match std::io::Read::read(&mut file, &mut buf[len..]) {
                Ok(0) => return Ok(buf[..len].to_vec()),
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
    })?;
    String::from_utf8(bytes).map_err(|e| Error::MigrationFile {
        path: path.to_path_buf(),
        line: None,
        message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })
}

fn comment(kind: MigrationKind) -> &'static str {
    match kind {
        MigrationKind::Sql => "--",
        MigrationKind::Rhai => "//",
    }
}

/// A whole file as one part.
fn whole_part(path: &Path, text: &str, kind: MigrationKind) -> Result<Part> {
    part(path, text.trim_start_matches('\u{feff}'), 1, kind, &[])
}

/// Builds a part, reading its directives (and those of the file header, `inherited`).
fn part(
    path: &Path,
    text: &str,
    first_line: usize,
    kind: MigrationKind,
    inherited: &[Directive],
) -> Result<Part> {
    let mut p = Part {
        file: path.to_path_buf(),
        first_line,
        text: text.to_string(),
        no_transaction: false,
        single_statement: false,
    };
    let own = directives(path, text, first_line, kind)?;
    for d in inherited.iter().chain(&own) {
        match d {
            Directive::NoTransaction => p.no_transaction = true,
            Directive::SingleStatement => p.single_statement = true,
        }
    }
    Ok(p)
}

#[derive(Debug, Clone, Copy)]
enum Directive {
    NoTransaction,
    SingleStatement,
}

fn directives(
    path: &Path,
    text: &str,
    first_line: usize,
    kind: MigrationKind,
) -> Result<Vec<Directive>> {
    let prefix = comment(kind);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix(prefix) else {
            continue;
        };
        let Some(d) = rest.trim().strip_prefix("myrmex:") else {
            continue;
        };
        out.push(match d.trim() {
            "no-transaction" => Directive::NoTransaction,
            "single-statement" => Directive::SingleStatement,
            other => {
                return Err(Error::MigrationFile {
                    path: path.to_path_buf(),
                    line: Some(first_line + i),
                    message: format!(
                        "unknown directive `{other}` (known: no-transaction, single-statement)"
                    ),
                })
            }
        });
    }
    Ok(out)
}

/// Splits a single file into its `+up` and `+down` sections.
fn sections(path: &Path, text: &str, kind: MigrationKind) -> Result<(Part, Option<Part>)> {
    let text = text.trim_start_matches('\u{feff}');
    let prefix = comment(kind);
    let marker = |line: &str| -> Option<Direction> {
        let rest = line.trim().strip_prefix(prefix)?.trim();
        match rest.to_ascii_lowercase().as_str() {
            "+up" => Some(Direction::Up),
            "+down" => Some(Direction::Down),
            _ => None,
        }
    };
    // (direction, byte offset of the section's text, line where it starts)
    let mut marks: Vec<(Direction, usize, usize, usize)> = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(d) = marker(line) {
            marks.push((d, offset, offset + line.len(), i + 2));
        }
        offset += line.len();
    }
    if marks.is_empty() {
        return Ok((whole_part(path, text, kind)?, None));
    }
    let err = |line: usize, message: String| Error::MigrationFile {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    let header = &text[..marks[0].1];
    let inherited = directives(path, header, 1, kind)?;
    let mut up = None;
    let mut down = None;
    for (i, &(dir, _, start, line)) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(text.len(), |m| m.1);
        let body = &text[start..end];
        let slot = match dir {
            Direction::Up => &mut up,
            Direction::Down => &mut down,
        };
        if slot.is_some() {
            return Err(err(
                line - 1,
                format!(
                    "a second `{prefix} +{}` section",
                    if dir == Direction::Up { "up" } else { "down" }
                ),
            ));
        }
        *slot = Some(part(path, body, line, kind, &inherited)?);
    }
    let up = up.ok_or_else(|| {
        err(
            marks[0].3 - 1,
            format!("a `{prefix} +down` section without `{prefix} +up`"),
        )
    })?;
    if !header
        .trim()
        .lines()
        .all(|l| l.trim().is_empty() || l.trim().starts_with(prefix))
    {
        return Err(err(
            1,
            format!("statements before `{prefix} +up`; put them in a section"),
        ));
    }
    Ok((up, down))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn temp(label: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("myrmex-src-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn names() {
        assert_eq!(
            parse_name("V20261125093000__add_users.up.sql").unwrap(),
            Some(FileName {
                version: 20261125093000,
                name: "add_users".into(),
                direction: Some(Direction::Up),
                kind: MigrationKind::Sql
            })
        );
        assert_eq!(parse_name("README.md").unwrap(), None);
        assert_eq!(parse_name("seed.sql").unwrap(), None);
        assert!(parse_name("V1_init.sql").unwrap_err().contains("`__`"));
        assert!(parse_name("v1__init.sql")
            .unwrap_err()
            .contains("upper-case"));
        assert!(parse_name("V1a__init.sql")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_name("V1__.sql").unwrap_err().contains("empty"));
    }

    #[test]
    fn directory_with_every_form() {
        let d = temp("forms");
        write(&d, "V1__users.up.sql", "CREATE TABLE users(id int);\r\n");
        write(&d, "V1__users.down.sql", "DROP TABLE users;");
        write(
            &d,
            "V2__both.sql",
            "-- a header\n-- myrmex: no-transaction\n-- +up\nCREATE INDEX i ON users(id);\n\nSELECT 1;\n-- +down\nDROP INDEX i;\n",
        );
        write(&d, "V3__fill.rhai", "db.execute(\"SELECT 1\");");
        write(&d, "notes.txt", "ignored");
        std::fs::create_dir_all(d.join("2027")).unwrap();
        write(&d.join("2027"), "V4__later.up.sql", "SELECT 4;");
        std::fs::create_dir_all(d.join(".git")).unwrap();
        write(&d.join(".git"), "V5__hidden.up.sql", "SELECT 5;");
        let m = load_dir(&d).unwrap();
        assert_eq!(
            m.iter().map(|m| m.version).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(m[0].down.is_some());
        assert!(!m[0].up.no_transaction);
        let up = &m[1].up;
        assert!(up.no_transaction && m[1].down.as_ref().unwrap().no_transaction);
        let st = up.statements();
        assert_eq!(st[0].line, 4);
        assert_eq!(
            st[1],
            Statement {
                line: 6,
                sql: "SELECT 1".into()
            }
        );
        assert_eq!(m[1].down.as_ref().unwrap().statements()[0].line, 8);
        assert_eq!(m[2].kind, MigrationKind::Rhai);
        assert!(m[3].up.file.ends_with("2027/V4__later.up.sql"));
        assert!(m[2].down.is_none());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn errors_name_the_file() {
        let d = temp("dup");
        write(&d, "V1__a.up.sql", "SELECT 1;");
        write(&d, "V1__b.sql", "SELECT 1;");
        let e = load_dir(&d).unwrap_err().to_string();
        assert!(e.contains("version 1 is defined more than once"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();

        let d = temp("directive");
        write(
            &d,
            "V1__a.sql",
            "-- +up\nSELECT 1;\n-- myrmex: no-transactions\n",
        );
        let e = load_dir(&d).unwrap_err().to_string();
        assert!(
            e.contains("V1__a.sql:3: unknown directive `no-transactions`"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();

        let d = temp("orphan");
        write(&d, "V4__x.down.sql", "SELECT 1;");
        let e = load_dir(&d).unwrap_err().to_string();
        assert!(e.contains("without an up part"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn single_statement_keeps_semicolons() {
        let p = Part {
            file: "f".into(),
            first_line: 1,
            text: "\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END;\n"
                .into(),
            no_transaction: false,
            single_statement: true,
        };
        let s = p.statements();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].line, 2);
        assert!(s[0].sql.ends_with("END"));
    }
}
