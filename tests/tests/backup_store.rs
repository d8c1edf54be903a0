//! Backups kept in an S3-compatible object store, through the `s3` store plugin, against a
//! local server: moto's S3 server (`moto_server`, installed from PyPI by `.ci/run`), a Python
//! implementation of the S3 API that keeps objects in memory. Nothing here reaches AWS itself.
//!
//! Covered: backup (logical and sqlite-online, encrypted, and a file large enough for a
//! multipart upload), listing with status, verify with a restore drill, restore, a flipped
//! byte in a stored object caught by verify, an upload cut short (and a killed one) listed as
//! failed and never complete, prune deleting from the store, Rhai, and credentials that never
//! appear in any output.

use myrmex_tests::servers::{free_port, on_path, skip};
use myrmex_tests::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY_ID: &str = "myrmex-test-key-id";
const SECRET: &str = "myrmex-test-secret-9f8e7d";
const BUCKET: &str = "myrmex-backups";

/// A moto S3 server on a free port with one bucket; stopped when dropped.
struct S3Server {
    child: Child,
    port: u16,
}

impl S3Server {
    fn start() -> Option<S3Server> {
        if !on_path("moto_server") {
            skip(
                "the S3 store tests",
                "moto_server is not installed (pip install 'moto[server]')",
            );
            return None;
        }
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let server = S3Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        server.python(&format!("c.create_bucket(Bucket='{BUCKET}')"));
        Some(server)
    }

    /// Runs Python with `c`, a boto3 client of this server.
    fn python(&self, code: &str) -> String {
        let script = format!(
            "import boto3\nc = boto3.client('s3', endpoint_url='http://127.0.0.1:{}', \
             region_name='us-east-1', aws_access_key_id='{KEY_ID}', \
             aws_secret_access_key='{SECRET}')\n{code}\n",
            self.port
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "python: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn location(&self, prefix: &str) -> String {
        format!(
            "s3://{BUCKET}/{prefix}?endpoint=http://127.0.0.1:{}",
            self.port
        )
    }

    /// Every key under `prefix`.
    fn keys(&self, prefix: &str) -> Vec<String> {
        self.python(&format!(
            "for o in c.list_objects_v2(Bucket='{BUCKET}', Prefix='{prefix}').get('Contents', []): print(o['Key'])"
        ))
        .lines()
        .map(str::to_string)
        .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `myrmex` with the store's credentials in its environment.
fn mx() -> Command {
    let mut c = myrmex();
    c.env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env_remove("AWS_ENDPOINT_URL");
    c
}

fn ok(out: Output) -> Output {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

/// The backups of `dest` as `myrmex backups --format json` lists them.
fn listed(dest: &str) -> serde_json::Value {
    json(&ok(run(mx().args(["backups", dest, "--format", "json"]))))
}

/// An SQLite database of `rows` rows of 100 random bytes each.
fn sqlite_db(dir: &Path, name: &str, rows: u32) -> String {
    let path = dir.join(name);
    let url = format!("sqlite://{}", path.display());
    let script = format!(
        r#"let db = connect("{url}");
db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
db.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) INSERT INTO t(v) SELECT randomblob(100) FROM c");"#
    );
    ok(run(myrmex().args(["-e", &script])));
    url
}

#[test]
fn backups_live_in_an_s3_store_listed_verified_restored_and_pruned() {
    ensure_built();
    let Some(s3) = S3Server::start() else {
        return;
    };
    let work = temp_dir("backup-s3");
    let src = sqlite_db(&work, "src.db", 5000);
    let dest = s3.location("shop");

    // An encrypted logical backup, and a sqlite-online one, both uploaded.
    let b = json(&ok(run(mx()
        .args([
            "backup",
            &src,
            "--dest",
            &dest,
            "--key-env",
            "MYRMEX_TEST_KEY",
            "--format",
            "json",
        ])
        .env("MYRMEX_TEST_KEY", "11".repeat(32)))));
    assert_eq!(b["rows"], 5000, "{b}");
    let first = b["path"].as_str().unwrap().to_string();
    assert!(first.starts_with("s3://myrmex-backups/shop/"), "{first}");
    let name = b["name"].as_str().unwrap().to_string();
    let keys = s3.keys(&format!("shop/{name}/"));
    assert!(
        keys.contains(&format!("shop/{name}/manifest.json")),
        "{keys:?}"
    );
    assert!(keys.len() >= 2, "{keys:?}");
    let online = json(&ok(run(mx().args([
        "backup",
        &src,
        "--dest",
        &dest,
        "--strategy",
        "sqlite-online",
        "--name",
        "online",
        "--format",
        "json",
    ]))));
    let online_path = online["path"].as_str().unwrap().to_string();

    // Listed from the store with status and size.
    let list = listed(&dest);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(
        list.iter()
            .all(|b| b["status"] == "complete" && b["bytes"].as_u64() > Some(1000)),
        "{list:?}"
    );

    // Verified with a drill (downloaded, checked, restored into a scratch file) and marked.
    let drill = format!("sqlite://{}", work.join("drill.db").display());
    let v = json(&ok(run(mx()
        .args([
            "verify",
            &first,
            "--drill",
            &drill,
            "--format",
            "json",
            "--key-env",
            "MYRMEX_TEST_KEY",
        ])
        .env("MYRMEX_TEST_KEY", "11".repeat(32)))));
    assert_eq!(v["drill"], true, "{v}");
    assert!(s3
        .keys(&format!("shop/{name}/"))
        .contains(&format!("shop/{name}/verified.json")));

    // Restored from the store.
    let copy = format!("sqlite://{}", work.join("copy.db").display());
    let r = json(&ok(run(mx().args([
        "restore",
        &online_path,
        &copy,
        "--format",
        "json",
    ]))));
    assert_eq!(r["tables"][0]["rows"], 5000, "{r}");

    // A flipped byte in a stored object is caught.
    s3.python(&format!(
        "o = c.get_object(Bucket='{BUCKET}', Key='shop/online/database.sqlite')['Body'].read()\n\
         b = bytearray(o); b[len(b) // 2] ^= 1\n\
         c.put_object(Bucket='{BUCKET}', Key='shop/online/database.sqlite', Body=bytes(b))"
    ));
    let bad = run(mx().args(["verify", &online_path]));
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(bad.stderr.contains("database.sqlite"), "{}", bad.stderr);

    // An upload cut short (objects, no manifest) is listed as failed, never complete.
    s3.python(&format!(
        "c.put_object(Bucket='{BUCKET}', Key='shop/cut/database.sqlite', Body=b'x' * 100)"
    ));
    let list = listed(&dest);
    let cut = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "cut")
        .cloned()
        .unwrap();
    assert_eq!(cut["status"], "failed", "{cut}");

    // Prune deletes from the store: the failed one goes, the newest verified one stays.
    let plan = json(&ok(run(mx().args([
        "backup",
        "prune",
        "--dest",
        &dest,
        "--keep-last",
        "1",
        "--format",
        "json",
    ]))));
    assert!(
        plan["delete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["name"] == "cut"),
        "{plan}"
    );
    assert!(s3.keys("shop/cut/").is_empty());
    assert!(
        !s3.keys(&format!("shop/{name}/")).is_empty(),
        "the verified backup stays"
    );

    // Rhai backs up to the store and lists it.
    let script = format!(
        r#"let db = connect("{src}");
let b = backup_database(db, #{{ dest: "{dest}", name: "from-rhai" }});
print(b.status);
print(backups("{dest}").filter(|x| x.name == "from-rhai").len());"#
    );
    let out = ok(run(mx().args(["-e", &script])));
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["complete", "1"],
        "{}",
        out.stdout
    );

    // Missing or wrong credentials: a clear error that never shows the secret.
    let none = run(myrmex()
        .args(["backups", &dest])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"));
    assert_ne!(none.code, 0);
    assert!(none.stderr.contains("AWS_ACCESS_KEY_ID"), "{}", none.stderr);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_large_file_goes_up_in_parts_and_a_killed_upload_never_looks_complete() {
    ensure_built();
    let Some(s3) = S3Server::start() else {
        return;
    };
    let work = temp_dir("backup-s3-large");
    // About 80 MiB: above the single-PUT limit, so the file goes up in 32 MiB parts.
    let src = sqlite_db(&work, "big.db", 700_000);
    let dest = s3.location("big");
    let b = json(&ok(run(mx().args([
        "backup",
        &src,
        "--dest",
        &dest,
        "--strategy",
        "sqlite-online",
        "--name",
        "whole",
        "--format",
        "json",
    ]))));
    assert!(b["bytes"].as_u64().unwrap() > 64 << 20, "{b}");
    let copy = format!("sqlite://{}", work.join("copy.db").display());
    ok(run(mx().args([
        "verify",
        b["path"].as_str().unwrap(),
        "--drill",
        &copy,
    ])));

    // Killed while uploading (at several points): never listed complete, and the complete
    // backup beside it is untouched.
    for delay in [600u64, 1200, 1800] {
        let mut child = mx()
            .args([
                "backup",
                &src,
                "--dest",
                &dest,
                "--strategy",
                "sqlite-online",
                "--name",
                &format!("killed-{delay}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let list = listed(&dest);
        println!("killed after {delay} ms: {list}");
        for b in list.as_array().unwrap() {
            if b["name"] == "whole" {
                assert_eq!(b["status"], "verified", "{b}");
            } else {
                assert_eq!(b["status"], "failed", "a killed upload: {b}");
            }
        }
    }
    ok(run(mx().args(["verify", b["path"].as_str().unwrap()])));
    // The killed processes' staging directories are swept by the next run.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("myrmex-store-"))
        .filter(|e| {
            let pid = e
                .file_name()
                .to_string_lossy()
                .split('-')
                .nth(2)
                .unwrap_or("")
                .to_string();
            !Path::new(&format!("/proc/{pid}")).exists()
        })
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&work);
}
