//! Expression translation, rule by rule.

use super::*;

fn tr(sql: &str, from: Dialect, to: Dialect) -> Out {
    translate(
        sql,
        &ExprCtx {
            from,
            to,
            value_as: None,
            user_types: &["mpaa_rating".to_string()],
            seen: None,
        },
    )
}

use Dialect::{Mariadb, Mysql, Postgres as Pg, Sqlite};

#[test]
fn numeric_casts_of_literals_go_where_the_target_coerces() {
    assert_eq!(
        tr("(total >= 0::numeric)", Pg, Mariadb).unwrap(),
        "(total >= 0)"
    );
    assert_eq!(
        tr("total >= '0'::numeric", Pg, Sqlite).unwrap(),
        "total >= 0"
    );
    assert_eq!(
        tr("amount::numeric(10,2) > 0", Pg, Mysql).unwrap(),
        "CAST(amount AS DECIMAL(10,2)) > 0"
    );
    assert_eq!(
        tr("amount::numeric > 0", Pg, Mysql).unwrap(),
        "CAST(amount AS DECIMAL(65,30)) > 0"
    );
    assert_eq!(
        tr("amount::integer > 0", Pg, Sqlite).unwrap(),
        "CAST(amount AS INTEGER) > 0"
    );
    assert_eq!(
        tr("CAST(amount AS SIGNED) > 0", Mysql, Pg).unwrap(),
        "CAST(amount AS BIGINT) > 0"
    );
}

#[test]
fn dates_and_now() {
    assert_eq!(tr("now()", Pg, Sqlite).unwrap(), "CURRENT_TIMESTAMP");
    assert_eq!(tr("now()", Pg, Mariadb).unwrap(), "CURRENT_TIMESTAMP");
    assert_eq!(
        tr("CURRENT_TIMESTAMP", Mysql, Pg).unwrap(),
        "CURRENT_TIMESTAMP"
    );
    assert_eq!(
        tr("('now'::text)::date", Pg, Mysql).unwrap(),
        "CURRENT_DATE"
    );
    assert_eq!(tr("current_date", Pg, Sqlite).unwrap(), "CURRENT_DATE");
    assert_eq!(
        tr(
            "((payment_date >= '2007-01-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-02-01'::timestamp without time zone))",
            Pg,
            Mariadb
        )
        .unwrap(),
        "((payment_date >= '2007-01-01 00:00:00') AND (payment_date < '2007-02-01'))"
    );
}

#[test]
fn booleans_concat_ilike_in_lists() {
    assert_eq!(tr("active = true", Pg, Mysql).unwrap(), "active = 1");
    assert_eq!(tr("active = false", Pg, Sqlite).unwrap(), "active = 0");
    assert_eq!(tr("active = 1", Mysql, Pg).unwrap(), "active = 1");
    assert_eq!(
        tr("first || ' ' || last <> ''", Pg, Mariadb).unwrap(),
        "CONCAT(first, ' ', last) <> ''"
    );
    assert_eq!(
        tr("CONCAT(a, b) <> ''", Mysql, Sqlite).unwrap(),
        "(a || b) <> ''"
    );
    assert_eq!(
        tr("email ILIKE '%@x.org'", Pg, Mysql).unwrap(),
        "LOWER(email) LIKE LOWER('%@x.org')"
    );
    assert_eq!(
        tr("email ILIKE '%@x.org'", Pg, Pg).unwrap(),
        "email ILIKE '%@x.org'"
    );
    assert_eq!(
        tr(
            "((rating)::text = ANY ((ARRAY['G'::character varying, 'PG'::character varying])::text[]))",
            Pg,
            Mysql
        )
        .unwrap(),
        "((rating) IN ('G', 'PG'))"
    );
    assert_eq!(
        tr("status NOT IN ('a', 'b')", Mysql, Pg).unwrap(),
        "status NOT IN ('a', 'b')"
    );
    assert_eq!(
        tr("rating <> ALL (ARRAY['X'::mpaa_rating])", Pg, Sqlite).unwrap(),
        "rating NOT IN ('X')"
    );
}

#[test]
fn functions_arithmetic_null_tests_between() {
    assert_eq!(
        tr("char_length(name) BETWEEN 1 AND 80", Pg, Mysql).unwrap(),
        "CHAR_LENGTH(name) BETWEEN 1 AND 80"
    );
    assert_eq!(
        tr("length(name) > 0", Mysql, Pg).unwrap(),
        "OCTET_LENGTH(name) > 0"
    );
    assert_eq!(
        tr(
            "coalesce(a, 0) * 2 + b % 3 >= 1 OR c IS NOT NULL",
            Pg,
            Sqlite
        )
        .unwrap(),
        "COALESCE(a, 0) * 2 + b % 3 >= 1 OR c IS NOT NULL"
    );
    assert_eq!(
        tr("NOT lower(code) = upper(code)", Pg, Mysql).unwrap(),
        "NOT (LOWER(code) = UPPER(code))"
    );
    assert_eq!(tr("\"Order\" > 0", Pg, Mysql).unwrap(), "`Order` > 0");
    assert_eq!(
        tr("CASE WHEN a > 0 THEN 'x' ELSE 'y' END = 'x'", Pg, Mysql).unwrap(),
        "CASE WHEN a > 0 THEN 'x' ELSE 'y' END = 'x'"
    );
}

#[test]
fn domain_value_becomes_the_column() {
    let ctx = ExprCtx {
        from: Pg,
        to: Mysql,
        value_as: Some("release_year"),
        user_types: &[],
        seen: None,
    };
    assert_eq!(
        translate("((VALUE >= 1901) AND (VALUE <= 2155))", &ctx).unwrap(),
        "((release_year >= 1901) AND (release_year <= 2155))"
    );
}

#[test]
fn anything_else_is_refused_with_what_was_met() {
    let e = tr("name ~ '^[a-z]+$'", Pg, Mysql).unwrap_err();
    assert!(e.contains('~'), "{e}");
    let e = tr("to_tsvector(title) IS NOT NULL", Pg, Mysql).unwrap_err();
    assert!(e.contains("to_tsvector"), "{e}");
    let e = tr("a > (SELECT 1)", Pg, Mysql).unwrap_err();
    assert!(e.contains("no translation"), "{e}");
    let e = tr("a > > 1", Pg, Mysql).unwrap_err();
    assert!(e.contains("cannot parse"), "{e}");
    assert!(tr("a > 1 extra", Pg, Mysql).is_err());
}

#[test]
fn nextval_and_columns() {
    assert_eq!(
        nextval_sequence("nextval('actor_actor_id_seq'::regclass)", Pg).as_deref(),
        Some("actor_actor_id_seq")
    );
    assert_eq!(nextval_sequence("now()", Pg), None);
    assert_eq!(
        columns_used("(Total >= 0::numeric) AND lower(\"Name\") <> ''", Pg),
        ["total", "Name"]
    );
    assert_eq!(
        columns_used("id > 0 AND zone::text ~ 'x'", Pg),
        ["id", "zone"]
    );
    assert_eq!(columns_used("id > 0", Mysql), ["id"]);
}

#[test]
fn check_keyword_printed_by_catalogs_is_stripped() {
    assert_eq!(
        tr("CHECK (((VALUE >= 1901)))", Pg, Mysql).unwrap(),
        "(((value >= 1901)))"
    );
    assert_eq!(
        tr("CHECK ((x > 0)) NOT VALID", Pg, Sqlite).unwrap(),
        "((x > 0))"
    );
    assert_eq!(tr("checked > 0", Pg, Sqlite).unwrap(), "checked > 0");
}
