//! The warm handoff through the pages in real Chromium: the agent console receives the offer with
//! the briefing, accepts and joins; the customer chat shows the escalation notice, the wait and
//! the warm introduction, and no staff-only text.

mod common;

use common::*;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn the_handoff_works_in_the_browser() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    app.add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let Some(steps) = browser::run_script(
        "handoff.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "customer sees the warm introduction"),
        "{steps:?}"
    );
}
