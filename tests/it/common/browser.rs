//! Runs a browser test script (tests/browser/*.mjs) with Node against a gateway started here.
//! The scripts drive Debian's Chromium through playwright-core; `scripts/browser-deps.sh`
//! installs both and exports where they are. Without them the test is skipped with a message,
//! unless `WLTEST_REQUIRE_BROWSER` is set (the README's test command sets it), then it fails.

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// One browser script at a time in the suite: each drives two or three Chromiums with live media
/// and real-time expectations (a late joiner's first picture, the ring's timing), which two cores
/// cannot honour for several scripts at once. The tests that run scripts hold the heavy slot
/// (`super::heavy`) as well, so nothing else heavy runs beside a script either.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The script's JSON lines, or `None` when browser tests cannot run here (skipped). Only for heavy
/// tests (`super::heavy`).
pub async fn run_script(script: &str, env: &[(&str, String)]) -> Option<Vec<Value>> {
    super::assert_heavy(script);
    let _turn = ONE_AT_A_TIME.lock().await;
    let modules = std::env::var("WLTEST_BROWSER_MODULES").ok();
    let Some(modules) = modules.filter(|m| std::path::Path::new(m).is_dir()) else {
        if std::env::var_os("WLTEST_REQUIRE_BROWSER").is_some() {
            panic!("browser tests are required but WLTEST_BROWSER_MODULES is not set up");
        }
        eprintln!(
            "SKIPPED {script}: run scripts/test.sh (it installs Chromium and playwright-core)"
        );
        return None;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shots = std::env::var("WLTEST_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("warmline-screenshots"));
    let _ = std::fs::create_dir_all(&shots);
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(root.join("tests/browser").join(script))
        .env("WLTEST_BROWSER_MODULES", modules)
        .env("WLTEST_SCREENSHOTS", &shots)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(240), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} took more than 240 s"))
        .unwrap_or_else(|e| panic!("cannot run node for {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{script}: screenshots in {}", shots.display());
    Some(lines)
}
