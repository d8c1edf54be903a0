//! The rule sets on a real MySQL or MariaDB server (`MYRMEX_TEST_MYSQL_URL`), each test in
//! a database of its own.

mod common;

use common::{context, message, summary};
use myrmex_abi::ConnectionBox;
use myrmex_audit::schema::SchemaRules;
use myrmex_audit::statements::StatementRules;
use myrmex_mysql::MysqlDriver;
use myrmex_plugin::audit::{AuditRuleSet, HostConnection, Severity, Statement};

/// The test server's URL and a connection to it; `None` without a server.
fn admin() -> Option<(String, ConnectionBox)> {
    let url = common::server_url("MYRMEX_TEST_MYSQL_URL")?;
    let c = common::connect(MysqlDriver, &url, None);
    Some((url, c))
}

/// A connection to the new, empty database `<test database>_<suffix>`, and its name.
fn own_database(suffix: &str) -> Option<(ConnectionBox, ConnectionBox, String)> {
    let (url, mut admin) = admin()?;
    let base = HostConnection::new(&mut admin)
        .scalar("SELECT DATABASE()")
        .unwrap()
        .unwrap_or_default();
    let name = format!("{base}_{suffix}");
    run(&mut admin, &format!("DROP DATABASE IF EXISTS `{name}`"));
    run(&mut admin, &format!("CREATE DATABASE `{name}`"));
    let c = common::connect(MysqlDriver, &url, Some(&name));
    Some((admin, c, name))
}

fn run(c: &mut ConnectionBox, sql: &str) {
    HostConnection::new(c)
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `(1), (2), …, (n)`.
fn values(n: u32) -> String {
    (1..=n)
        .map(|i| format!("({i})"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn schema_rules() {
    let Some((mut admin, mut c, name)) = own_database("schema") else {
        return;
    };
    let app = format!("'{name}_app'@'%'");
    let boss = format!("'{name}_boss'@'localhost'");
    for sql in [
        format!("DROP USER IF EXISTS {app}, {boss}"),
        format!("CREATE USER {app}"),
        format!("GRANT SELECT, PROCESS ON *.* TO {app}"),
        format!("CREATE USER {boss}"),
        format!("GRANT ALL PRIVILEGES ON *.* TO {boss}"),
    ] {
        run(&mut admin, &sql);
    }
    for sql in [
        "CREATE TABLE users (name varchar(50), password varchar(100), cc_number varchar(25))",
        "INSERT INTO users VALUES ('ann', 'hunter2', '4111111111111111')",
        "CREATE TABLE accounts (id int PRIMARY KEY, api_key varchar(64))",
        "INSERT INTO accounts VALUES (1, 'md5d41d8cd98f00b204e9800998ecf8427e')",
        "CREATE TABLE orders (id int PRIMARY KEY, account_id int, \
         FOREIGN KEY (account_id) REFERENCES accounts (id))",
    ] {
        run(&mut c, sql);
    }
    let found = SchemaRules::default()
        .check_connection(
            &mut HostConnection::new(&mut c),
            &context("mysql", "mariadb", ""),
        )
        .unwrap();
    let ours: Vec<_> = found
        .iter()
        .filter(|f| f.rule != "broad-grants" || f.object.contains(name.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        summary(&ours),
        [
            ("broad-grants".into(), Severity::MEDIUM, app.clone()),
            ("broad-grants".into(), Severity::MEDIUM, boss.clone()),
            (
                "card-number-column".into(),
                Severity::HIGH,
                "users.cc_number".into()
            ),
            (
                "plaintext-password-column".into(),
                Severity::HIGH,
                "users.password".into()
            ),
            (
                "table-without-primary-key".into(),
                Severity::MEDIUM,
                "users".into()
            ),
        ]
    );
    assert_eq!(
        message(&ours, "broad-grants", &app),
        format!("{app} holds global privileges from any host: PROCESS, SELECT")
    );
    assert_eq!(
        message(&ours, "broad-grants", &boss),
        format!("{boss} holds every global privilege (ALL PRIVILEGES ON *.*)")
    );
    assert!(!found
        .iter()
        .any(|f| f.object.starts_with("'root'@") || f.object.starts_with("'mysql'@")));
    run(&mut admin, &format!("DROP USER IF EXISTS {app}, {boss}"));
    run(&mut admin, &format!("DROP DATABASE IF EXISTS `{name}`"));
}

#[test]
fn statements_against_table_sizes() {
    let Some((mut admin, mut c, name)) = own_database("statements") else {
        return;
    };
    for sql in [
        "CREATE TABLE big (a int) ENGINE = InnoDB".to_string(),
        format!("INSERT INTO big VALUES {}", values(150)),
        "CREATE TABLE small (a int) ENGINE = InnoDB".into(),
        format!("INSERT INTO small VALUES {}", values(5)),
    ] {
        run(&mut c, &sql);
    }
    for t in ["big", "small"] {
        HostConnection::new(&mut c)
            .rows(&format!("ANALYZE TABLE {t}"), &[])
            .unwrap();
    }
    let statements: Vec<Statement> = [
        "ALTER TABLE big ADD COLUMN c int",
        "ALTER TABLE small ADD COLUMN c int",
        "ALTER TABLE big ADD COLUMN c int, ALGORITHM=INSTANT",
        "ALTER TABLE big MODIFY a bigint",
        "ALTER TABLE big ADD COLUMN d int NOT NULL, LOCK=NONE",
        "RENAME TABLE small TO tiny",
    ]
    .iter()
    .map(|s| Statement {
        sql: s.to_string(),
        location: None,
    })
    .collect();
    let found = StatementRules::default()
        .check_statements(
            &statements,
            &context("mysql", "mariadb", r#"{"large_table_rows": 100}"#),
            Some(&mut HostConnection::new(&mut c)),
        )
        .unwrap();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "alter-without-online",
                "ALTER TABLE big names no ALGORITHM= or LOCK=: the server may copy the table and block writes until the copy ends (about 150 rows)"
            ),
            (
                "alter-without-online",
                "redefining column a of big (MODIFY/CHANGE) copies the table and blocks writes until the copy ends (about 150 rows)"
            ),
            (
                "add-column-not-null-without-default",
                "adding NOT NULL column d to big without a default fills existing rows with the type's zero value"
            ),
            ("rename-table", "renaming table small to tiny breaks code that still uses small"),
        ]
    );
    run(&mut admin, &format!("DROP DATABASE IF EXISTS `{name}`"));
}
