//! Tuning advice end to end on every engine, through a script as a user runs it: the
//! statements the script ran are the workload, `optimize_database` proposes the index the
//! query lacks (proven by the driver before it is proposed), `#{ apply: true }` applies it,
//! and the plan afterwards uses it; `db.metrics()` and `monitor_database` read the server's
//! statistics.

use myrmex_tests::*;

#[test]
fn the_index_a_slow_query_lacks_is_proposed_proven_and_applied() {
    for t in targets("optimize-e2e") {
        let mut db = t.connect();
        db.execute(
            "CREATE TABLE opt_orders(id INT PRIMARY KEY, customer_id INT, note VARCHAR(40))",
            &[],
        )
        .unwrap();
        // 20,000 rows in one statement per 1,000, on every engine.
        for chunk in 0..20 {
            let values: Vec<String> = (0..1000)
                .map(|i| {
                    let id = chunk * 1000 + i;
                    format!("({id}, {}, 'n{id}')", id % 5000)
                })
                .collect();
            db.execute(
                &format!("INSERT INTO opt_orders VALUES {}", values.join(",")),
                &[],
            )
            .unwrap();
        }
        let analyze = match t.engine {
            "mysql" => "ANALYZE TABLE opt_orders",
            _ => "ANALYZE opt_orders",
        };
        let script = format!(
            r#"let db = connect("{url}");
db.query("{analyze}");
for i in 0..12 {{ db.query("SELECT * FROM opt_orders WHERE customer_id = 42"); }}
let m = monitor_database(db);
print(`samples: ${{m.server.samples.len() > 0}}`);
let advice = optimize_database(db);
let idx = advice.recommendations.filter(|r| r.kind == "missing-index");
print(`missing-index: ${{idx.len()}}`);
for r in idx {{ print(`object: ${{r.object}}`); print(`evidence: ${{r.evidence}}`); print(`safe: ${{r.safe}}`); }}
let done = optimize_database(db, #{{ apply: true }});
print(`applied: ${{done.applied.filter(|a| a.error == ()).len()}}`);
let again = optimize_database(db);
print(`after: ${{again.recommendations.filter(|r| r.kind == "missing-index").len()}}`);
"#,
            url = t.url
        );
        let out = run(myrmex().args(["-e", &script]));
        assert_eq!(out.code, 0, "{}: {}\n{}", t.engine, out.stdout, out.stderr);
        let s = &out.stdout;
        assert!(s.contains("samples: true"), "{}: {s}", t.engine);
        assert!(s.contains("missing-index: 1"), "{}: {s}", t.engine);
        assert!(
            s.contains("customer_id") || s.contains("opt_orders"),
            "{}: {s}",
            t.engine
        );
        assert!(s.contains("safe: true"), "{}: {s}", t.engine);
        assert!(
            s.contains("applying: "),
            "{}: the applied statement is printed: {s}",
            t.engine
        );
        assert!(!s.contains("applied: 0"), "{}: {s}", t.engine);
        assert!(
            s.contains("after: 0"),
            "{}: the index exists now: {s}",
            t.engine
        );
    }
}
