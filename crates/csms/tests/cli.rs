//! The `csms` binary, driven as a user would: through its command line and HTTP port.
//! Tests that touch a database run on SQLite and on PostgreSQL (`sqlite::` / `postgres::`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use csms_store::Backend;

const ADMIN_PASSWORD: &str = "a long enough admin passphrase";

/// One installation: a data directory and a database.
struct Install {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    backend: Backend,
}

impl Install {
    fn new(backend: Backend) -> Install {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(block_on(csms_store::testing::create_postgres_database()).1),
        };
        Install {
            dir: tempfile::tempdir().unwrap(),
            database_url,
            backend,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_csms"));
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CSMS_DATA_DIR", self.data_dir())
            .env("CSMS_LOG", "warn");
        if let Some(url) = &self.database_url {
            c.env("CSMS_DATABASE_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "csms {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn init(&self) {
        let out = self
            .command()
            .args(["init", "--org-slug", "kashima", "--org-name", "鹿島工場"])
            .env("CSMS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Some changes on top of `init`: users, memberships, a token, a disabled user.
    fn some_changes(&self) {
        for (name, role) in [
            ("yamada", "csms_manager"),
            ("tanaka", "auditor"),
            ("kato", "viewer"),
        ] {
            let out = self
                .command()
                .args([
                    "user",
                    "add",
                    name,
                    "--display-name",
                    &format!("{name} さん"),
                    "--org",
                    "kashima",
                    "--role",
                    role,
                ])
                .env("CSMS_PASSWORD", "yet another long passphrase")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        self.ok(&["user", "disable", "kato"]);
        self.ok(&[
            "token", "create", "--org", "kashima", "--user", "yamada", "--role", "viewer",
            "--name", "export",
        ]);
    }

    fn serve(&self) -> Server {
        let mut child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("csms serve exited before listening")
                .unwrap();
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.trim().to_owned();
            }
        };
        Server { child, addr }
    }

    /// Runs the sqlite3 or psql command-line tool on this installation's database.
    fn sql_tool(&self, sql: &str) {
        let out = match self.backend {
            Backend::Sqlite => Command::new("sqlite3")
                .arg(self.data_dir().join("csms.db"))
                .arg(sql)
                .output()
                .expect("the sqlite3 tool is needed (apt-get install sqlite3)"),
            Backend::Postgres => Command::new("psql")
                .arg(self.database_url.as_ref().unwrap())
                .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
                .output()
                .expect("the psql tool is needed (apt-get install postgresql-client)"),
        };
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn sql_tool_query(&self, sql: &str) -> String {
        let out = match self.backend {
            Backend::Sqlite => Command::new("sqlite3")
                .arg(self.data_dir().join("csms.db"))
                .arg(sql)
                .output()
                .unwrap(),
            Backend::Postgres => Command::new("psql")
                .arg(self.database_url.as_ref().unwrap())
                .args(["-Atqc", sql])
                .output()
                .unwrap(),
        };
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn allow_tampering(&self) {
        match self.backend {
            Backend::Sqlite => {
                self.sql_tool("DROP TRIGGER trail_no_update; DROP TRIGGER trail_no_delete;")
            }
            Backend::Postgres => self.sql_tool("ALTER TABLE trail DISABLE TRIGGER USER"),
        }
    }

    fn org_chain(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "X'{}'",
                self.sql_tool_query("SELECT hex(id) FROM organizations WHERE slug = 'kashima'")
            ),
            Backend::Postgres => format!(
                "'{}'",
                self.sql_tool_query("SELECT id FROM organizations WHERE slug = 'kashima'")
            ),
        }
    }
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        http(&self.addr, "GET", path, token, None).unwrap()
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A minimal HTTP/1.1 client (one request per connection).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {raw:?}")))?;
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Ok((status, body))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(csms_store::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(csms_store::Backend::Postgres) } )*
        }
    };
}

on_both_backends!(
    init_changes_and_verify,
    tampering_with_the_sql_tool_is_named,
    backup_and_restore_across_backends,
    serve_answers_health_and_stops_on_sigterm,
    sigkill_during_a_write_load_loses_no_acknowledged_write,
    the_api_enforces_roles_and_versions,
);

#[test]
fn every_command_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["serve"],
        &["migrate"],
        &["user"],
        &["user", "add"],
        &["user", "passwd"],
        &["user", "list"],
        &["user", "disable"],
        &["user", "enable"],
        &["org"],
        &["org", "list"],
        &["org", "add"],
        &["token"],
        &["token", "create"],
        &["token", "list"],
        &["token", "revoke"],
        &["trail"],
        &["trail", "verify"],
        &["backup"],
        &["restore"],
        &["demo"],
    ];
    for args in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_csms"))
            .args(*args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}

#[test]
fn usage_errors_exit_2_and_failures_are_one_line_exit_1() {
    let i = Install::new(Backend::Sqlite);
    let out = i.run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = i.run(&[
        "user",
        "add",
        "x",
        "--display-name",
        "x",
        "--org",
        "kashima",
        "--role",
        "root",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use one of admin"),
        "{}",
        stderr(&out)
    );

    // No installation yet: the trail key is missing.
    let out = i.run(&["trail", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.starts_with("error: ") && e.contains("trail key"), "{e}");

    i.init();
    let out = i.run(&[
        "user",
        "add",
        "x1",
        "--display-name",
        "x",
        "--org",
        "nowhere",
        "--role",
        "viewer",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("csms org list"), "{}", stderr(&out));
    let out = i.run(&["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already initialized"),
        "{}",
        stderr(&out)
    );
    let out = i
        .command()
        .args(["--config", "missing.toml", "org", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn init_prints_a_one_time_password_or_takes_one_from_stdin() {
    let i = Install::new(Backend::Sqlite);
    let out = i.ok(&["init"]);
    let line = out
        .lines()
        .find(|l| l.contains("one-time password:"))
        .expect(&out);
    let password = line.rsplit(' ').next().unwrap();
    assert!(password.len() >= 20, "{password}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(i.data_dir().join("trail.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the trail key is private");
    }
    let users = i.ok(&["user", "list"]);
    assert!(
        users.contains("admin") && users.contains("main:admin"),
        "{users}"
    );

    let j = Install::new(Backend::Sqlite);
    let mut child = j
        .command()
        .args(["init", "--password-stdin", "--admin", "operator"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped admin passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stdout).unwrap().contains("one-time"));
    block_on(async {
        let store = open_store(&j).await;
        assert!(
            store
                .verify_credentials("operator", "piped admin passphrase")
                .await
                .unwrap()
                .is_some()
        );
        store.close().await;
    });
}

#[test]
fn a_missing_trail_key_is_never_replaced() {
    let i = Install::new(Backend::Sqlite);
    i.init();
    std::fs::remove_file(i.data_dir().join("trail.key")).unwrap();
    for args in [&["serve"][..], &["demo"], &["trail", "verify"]] {
        let out = i.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("already has a trail") || stderr(&out).contains("missing"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!i.data_dir().join("trail.key").exists());
}

#[test]
fn the_configuration_file_is_read_and_flags_win() {
    let i = Install::new(Backend::Sqlite);
    let cfg = i.dir.path().join("csms.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\nlog_format = \"json\"\n",
            i.dir.path().join("elsewhere").display()
        ),
    )
    .unwrap();
    let out = i
        .command()
        .env_remove("CSMS_DATA_DIR")
        .args(["--config", cfg.to_str().unwrap(), "init"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(i.dir.path().join("elsewhere/csms.db").exists());
    assert!(i.dir.path().join("elsewhere/trail.key").exists());
}

async fn open_store(i: &Install) -> csms_store::Store {
    let key = std::fs::read_to_string(i.data_dir().join("trail.key")).unwrap();
    let url = i
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", i.data_dir().join("csms.db").display()));
    csms_store::Store::open(
        &csms_store::StoreOptions::new(url),
        csms_domain::trail::TrailKey::from_hex(&key).unwrap(),
    )
    .await
    .unwrap()
}

fn init_changes_and_verify(b: Backend) {
    let i = Install::new(b);
    i.init();
    i.some_changes();
    i.ok(&["demo"]);
    let out = i.ok(&["trail", "verify"]);
    assert!(out.contains("all intact"), "{out}");
    let records: i64 = i
        .sql_tool_query("SELECT COUNT(*) FROM trail")
        .parse()
        .unwrap();
    assert!(
        out.contains(&format!("{records} record(s)")),
        "{out} vs {records}"
    );
    let listed = i.ok(&["user", "list", "--org", "minato-chemical"]);
    assert!(
        listed.contains("suzuki") && !listed.contains("kato"),
        "{listed}"
    );
}

fn tampering_with_the_sql_tool_is_named(b: Backend) {
    // Edit, delete, reorder: each in a fresh installation, each named by `trail verify`.
    type Tamper<'a> = &'a dyn Fn(&str) -> String;
    let cases: [(&str, Tamper, &str); 3] = [
        (
            "edit",
            &|chain| {
                format!(
                    "UPDATE trail SET actor = 'someone else' WHERE chain_id = {chain} AND seq = 2"
                )
            },
            "record #2",
        ),
        (
            "delete",
            &|chain| format!("DELETE FROM trail WHERE chain_id = {chain} AND seq = 3"),
            "record #3 is missing",
        ),
        (
            "reorder",
            &|chain| {
                format!(
                    "UPDATE trail SET seq = -1 WHERE chain_id = {chain} AND seq = 2; \
                 UPDATE trail SET seq = 2 WHERE chain_id = {chain} AND seq = 3; \
                 UPDATE trail SET seq = 3 WHERE chain_id = {chain} AND seq = -1;"
                )
            },
            "record #2",
        ),
    ];
    for (what, sql, named) in cases {
        let i = Install::new(b);
        i.init();
        i.some_changes();
        i.ok(&["trail", "verify"]);
        i.allow_tampering();
        i.sql_tool(&sql(&i.org_chain()));
        let out = i.run(&["trail", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        let e = stderr(&out);
        assert!(e.contains(named), "{what}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    }
}

fn backup_and_restore_across_backends(b: Backend) {
    let source = Install::new(b);
    source.init();
    source.some_changes();
    source.ok(&["demo"]);
    let file = source.dir.path().join("csms.backup");
    let summary = source.ok(&["backup", file.to_str().unwrap()]);
    let counts = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("  "))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let expected = counts(&summary);
    assert!(
        expected.iter().any(|l| l.starts_with("trail ")),
        "{summary}"
    );
    let out = source.run(&["backup", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an existing file is not overwritten"
    );

    for target in [Backend::Sqlite, Backend::Postgres] {
        let t = Install::new(target);
        std::fs::create_dir_all(t.data_dir()).unwrap();
        // Restoring needs the source's trail key, as the README says.
        let out = t.run(&["restore", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("trail key"), "{}", stderr(&out));
        std::fs::copy(
            source.data_dir().join("trail.key"),
            t.data_dir().join("trail.key"),
        )
        .unwrap();
        let restored = t.ok(&["restore", file.to_str().unwrap()]);
        assert_eq!(counts(&restored), expected, "{b:?} -> {target:?}");
        assert!(t.ok(&["trail", "verify"]).contains("all intact"));
        // Back again: a backup of the restored database has the same rows.
        let again = t.dir.path().join("again.backup");
        assert_eq!(
            counts(&t.ok(&["backup", again.to_str().unwrap()])),
            expected
        );
        let listed = t.ok(&["user", "list"]);
        assert!(
            listed.contains("yamada") && listed.contains("disabled"),
            "{listed}"
        );
        // A second restore into the now non-empty database is refused.
        let out = t.run(&["restore", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    }
}

fn serve_answers_health_and_stops_on_sigterm(b: Backend) {
    let i = Install::new(b);
    i.init();
    let mut server = i.serve();
    let (status, body) = server.get("/healthz", None);
    assert_eq!(status, 200, "{body}");
    let h = json(&body);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "reachable");
    assert_eq!(h["backend"], b.as_str());
    assert_eq!(
        h["schema_version"],
        csms_store::Store::binary_schema_version()
    );
    server.signal("TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

fn token_for(i: &Install, user: &str, role: &str) -> String {
    i.ok(&[
        "token", "create", "--org", "kashima", "--user", user, "--role", role, "--name", "test",
    ])
    .trim()
    .to_owned()
}

fn the_api_enforces_roles_and_versions(b: Backend) {
    let i = Install::new(b);
    i.init();
    i.some_changes();
    let admin = token_for(&i, "admin", "admin");
    let viewer = token_for(&i, "yamada", "viewer");
    let server = i.serve();
    let (s, body) = server.get("/api/v1/organization", None);
    assert_eq!(s, 401, "{body}");
    assert_eq!(json(&body)["type"], "urn:opencsms:problem:unauthorized");
    let (s, body) = server.get("/api/v1/organization", Some(&viewer));
    assert_eq!(s, 200);
    assert_eq!(json(&body)["slug"], "kashima");
    let patch = r#"{"version":1,"description":"見直し済み"}"#;
    let (s, body) = http(
        &server.addr,
        "PATCH",
        "/api/v1/organization",
        Some(&viewer),
        Some(patch),
    )
    .unwrap();
    assert_eq!(s, 403, "{body}");
    let (s, body) = http(
        &server.addr,
        "PATCH",
        "/api/v1/organization",
        Some(&admin),
        Some(patch),
    )
    .unwrap();
    assert_eq!(s, 200, "{body}");
    assert_eq!(json(&body)["version"], 2);
    let (s, body) = http(
        &server.addr,
        "PATCH",
        "/api/v1/organization",
        Some(&admin),
        Some(patch),
    )
    .unwrap();
    assert_eq!(s, 409, "{body}");
    let p = json(&body);
    assert_eq!(p["type"], "urn:opencsms:problem:conflict");
    assert_eq!(p["current_version"], 2);
    let (s, body) = http(
        &server.addr,
        "PATCH",
        "/api/v1/organization",
        Some(&admin),
        Some(r#"{"version":2,"nmae":"x"}"#),
    )
    .unwrap();
    assert_eq!(s, 400, "{body}");
    assert!(
        json(&body)["detail"].as_str().unwrap().contains("nmae"),
        "{body}"
    );
    let (s, body) = http(
        &server.addr,
        "PATCH",
        "/api/v1/organization",
        Some(&admin),
        Some(r#"{"version":2,"name":"  "}"#),
    )
    .unwrap();
    assert_eq!(s, 422, "{body}");
    drop(server);
    assert!(i.ok(&["trail", "verify"]).contains("all intact"));
}

fn sigkill_during_a_write_load_loses_no_acknowledged_write(b: Backend) {
    let i = Install::new(b);
    i.init();
    let token = token_for(&i, "admin", "admin");
    let server = i.serve();
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (addr, token, acked) = (server.addr.clone(), token.clone(), acked.clone());
        writers.push(std::thread::spawn(move || {
            for n in 0.. {
                let Ok((200, body)) =
                    http(&addr, "GET", "/api/v1/organization", Some(&token), None)
                else {
                    return;
                };
                let version = json(&body)["version"].as_i64().unwrap();
                let desc = format!("writer {w} write {n}");
                let body = format!(r#"{{"version":{version},"description":"{desc}"}}"#);
                match http(
                    &addr,
                    "PATCH",
                    "/api/v1/organization",
                    Some(&token),
                    Some(&body),
                ) {
                    Ok((200, reply)) => {
                        let v = json(&reply)["version"].as_i64().unwrap();
                        acked.lock().unwrap().push((v, desc));
                    }
                    Ok((409, _)) => {}
                    Ok((s, reply)) => panic!("unexpected {s}: {reply}"),
                    Err(_) => return,
                }
            }
        }));
    }
    let started = Instant::now();
    while acked.lock().unwrap().len() < 60 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the write load did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(server); // SIGKILL, in the middle of the load
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let server = i.serve();
    let (_, body) = server.get("/api/v1/organization", Some(&token));
    let max = acked.iter().map(|(v, _)| *v).max().unwrap();
    assert!(json(&body)["version"].as_i64().unwrap() >= max);
    drop(server);
    let recorded = block_on(async {
        let store = open_store(&i).await;
        let org = store.organization_by_slug("kashima").await.unwrap();
        let mut recorded = Vec::new();
        let mut q = csms_store::trail::TrailQuery {
            limit: 1000,
            ..Default::default()
        };
        loop {
            let page = store.trail(org.id, &q).await.unwrap();
            let Some(last) = page.last() else { break };
            q.before_seq = Some(last.seq);
            recorded.extend(page.into_iter().filter(|r| r.action == "update").map(|r| {
                (
                    r.diff["after"]["version"].as_i64().unwrap(),
                    r.diff["after"]["description"].as_str().unwrap().to_owned(),
                )
            }));
        }
        store.close().await;
        recorded
    });
    for write in &acked {
        assert!(
            recorded.contains(write),
            "acknowledged write {write:?} is missing"
        );
    }
    assert!(i.ok(&["trail", "verify"]).contains("all intact"));
}

#[test]
fn catalog_check_names_file_and_line() {
    let i = Install::new(Backend::Sqlite);
    let out = i.ok(&["catalog", "list"]);
    assert!(
        out.contains("jipdec-csms-2010") && out.contains("iec62443-3-3-2013"),
        "{out}"
    );
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../csms-catalog/catalogs/iec62443-3-3-2013.yaml"
    );
    let out = i.ok(&["catalog", "check", shipped]);
    assert!(
        out.contains("OK, framework iec62443-3-3-2013 (107 nodes, 100 assessable)"),
        "{out}"
    );
    // Mapping sets and CISO Assistant libraries are checked too; a mapping set needs its
    // frameworks (shipped, or in a file listed before it).
    assert!(out.contains("OK"), "{out}");
    let mapping = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../csms-catalog/mappings/iso27001-2013-annex-a--iso27001-2022-annex-a.yaml"
    );
    let out = i.ok(&["catalog", "check", mapping]);
    assert!(
        out.contains("OK, mapping set iso27001-2013-annex-a--iso27001-2022-annex-a"),
        "{out}"
    );
    let ciso = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/catalogs/ciso-assistant/"
    );
    let alone = i.run(&[
        "catalog",
        "check",
        &format!("{ciso}mapping-iso27001-2013-to-iso27001-2022.yaml"),
    ]);
    assert_eq!(alone.status.code(), Some(1));
    assert!(
        stderr(&alone).contains("iso27001-2013"),
        "{}",
        stderr(&alone)
    );
    let out = i.ok(&[
        "catalog",
        "check",
        &format!("{ciso}iso27001-2013.yaml"),
        &format!("{ciso}iso27001-2022.yaml"),
        &format!("{ciso}mapping-iso27001-2013-to-iso27001-2022.yaml"),
    ]);
    assert!(
        out.contains("OK, mapping set ciso.iso27001-2013 (134 relations"),
        "{out}"
    );
    let out = i.ok(&["catalog", "list"]);
    assert!(
        out.contains("iec62443-2-1-2010--iso27001-2013-annex-a"),
        "{out}"
    );
    let bad = i.dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(shipped).unwrap().replacen(
        "parent: \"FR 1\"",
        "parent: \"FR 9\"",
        1,
    );
    std::fs::write(&bad, text).unwrap();
    let out = i.run(&["catalog", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("bad.yaml:") && e.contains("parent 'FR 9'"),
        "{e}"
    );
}

/// `csms assets import` checks before storing: a bad file lists row and column and stores
/// nothing (exit 1); the 4SICS device list imports with tags from its addresses; the export
/// imports back into another organization.
#[test]
fn assets_import_and_export() {
    let i = Install::new(Backend::Sqlite);
    i.init();
    let dir = i.dir.path();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "asset_tag,type\nPLC-1,plc\nPLC-2,toaster\nPLC-1,hmi\n",
    )
    .unwrap();
    let out = i.run(&[
        "assets",
        "import",
        bad.to_str().unwrap(),
        "--org",
        "kashima",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(table.contains("3       type"), "{table}");
    assert!(table.contains("toaster"), "{table}");
    assert!(table.contains("also on row 2"), "{table}");
    assert!(
        stderr(&out).contains("nothing was imported"),
        "{}",
        stderr(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("\r"),
        "no terminal: plain progress lines"
    );
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/inventory/4sics-geeklounge-2015/observed-devices.csv");
    let real = real.to_str().unwrap();
    let out = i.run(&["assets", "import", real, "--org", "kashima"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no asset_tag column"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let args = [
        "assets",
        "import",
        real,
        "--org",
        "kashima",
        "--tag-from",
        "ip",
        "--keep-other-columns",
    ];
    let dry = i.ok(&[&args[..], &["--dry-run"]].concat());
    assert!(dry.contains("11 assets ready"), "{dry}");
    let done = i.run(&args);
    assert!(done.status.success(), "{}", stderr(&done));
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("Imported 11 assets"), "{said}");
    let progress = String::from_utf8_lossy(&done.stderr);
    assert!(
        progress.contains("reading: 100%") && progress.contains("storing: 100%"),
        "{progress}"
    );
    // Again: every tag is taken now.
    let again = i.run(&args);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("already has an asset"));
    // Export, then import into a new organization.
    for format in ["csv", "xlsx"] {
        let file = dir.join(format!("export.{format}"));
        let said = i.ok(&[
            "assets",
            "export",
            "--org",
            "kashima",
            "--format",
            format,
            "--lang",
            "ja",
            "--output",
            file.to_str().unwrap(),
        ]);
        assert!(said.contains("Exported 11 assets"), "{said}");
        let slug = format!("copy-{format}");
        i.ok(&["org", "add", &slug, "--name", "Copy"]);
        let said = i.ok(&["assets", "import", file.to_str().unwrap(), "--org", &slug]);
        assert!(said.contains("Imported 11 assets"), "{said}");
    }
}
