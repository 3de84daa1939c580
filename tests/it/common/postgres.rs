//! A throwaway PostgreSQL server for the suite: Debian's `postgresql` binaries, one server per
//! test process (started on first use, in a temporary directory, on a free loopback port), one
//! fresh database per test. The server stops and its directory goes when the test process ends
//! (a watchdog beside it checks for the process).
//!
//! Without the binaries a test skips (returns `None`), unless `WLTEST_REQUIRE_POSTGRES=1` (the
//! test command sets it after installing them), when it fails.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Server {
    port: u16,
    /// The server's shell and watchdog; it ends by itself with this process.
    _watchdog: std::process::Child,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn required() -> bool {
    std::env::var("WLTEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The newest installed server's `bin` directory.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` user when we are root (the server refuses to run as root).
fn command(program: &std::path::Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start() -> Option<Server> {
    let Some(bin) = bin_dir() else {
        assert!(
            !required(),
            "WLTEST_REQUIRE_POSTGRES=1 but no server in /usr/lib/postgresql (apt-get install postgresql)"
        );
        eprintln!("skipping: no PostgreSQL server installed (apt-get install postgresql)");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("warmline-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("postgres directory");
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown {} to postgres", dir.display());
    }
    let data = dir.join("data");
    let out = command(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        // A real locale's collation (not byte order, as "C" would be): a query that forgets to
        // order ids byte-wise, as SQLite does, shows here.
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .args([
            "--locale-provider=icu",
            "--icu-locale=en-US",
            "--locale=C.UTF-8",
        ])
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    // The server, and a watchdog that stops it (and removes its directory) once this test
    // process is gone: statics are never dropped, so nothing else would.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 \
           -c max_connections=300 -c shared_buffers=64MB >{dir}/server.log 2>&1 &
         server=$!
         while [ -d /proc/{parent} ] && [ -d /proc/$server ]; do sleep 1; done
         kill -INT $server 2>/dev/null; wait $server; rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        parent = std::process::id(),
    );
    let watchdog = command(std::path::Path::new("/bin/sh"))
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "postgres did not start: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Server {
        port,
        _watchdog: watchdog,
    })
}

fn server() -> Option<&'static Server> {
    SERVER.get_or_init(start).as_ref()
}

/// A fresh, empty database on the suite's server, as a URL; `None` (skip) without a server.
pub fn database() -> Option<String> {
    let server = server()?;
    let name = format!(
        "wl_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let psql = bin_dir()?.join("psql");
    let out = Command::new(psql)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "create database: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        server.port
    ))
}
