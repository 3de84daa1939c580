//! Restoring open handoffs at start: the store lists the conversations the log left queued or
//! with an agent; the engine (`Steps::restore`) decides what each becomes.

use super::coordinator::Coordinator;
use crate::domain::ConversationStatus;
use chrono::Utc;
use tracing::{info, warn};

impl Coordinator {
    pub(super) async fn recover(&mut self) {
        let now = Utc::now();
        let mut restored = 0usize;
        let mut batch = Vec::new();
        for status in [ConversationStatus::Queued, ConversationStatus::WithAgent] {
            let rows = match self
                .deps
                .store
                .list_conversations(Some(status), super::coordinator::RECOVER_LIMIT)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    warn!(error = %e, "could not restore open handoffs");
                    continue;
                }
            };
            for (header, _) in rows {
                let id = header.conversation_id.clone();
                let window = crate::storage::MessageWindow::TURN;
                let conversation = match self.deps.store.conversation_window(&id, window).await {
                    Ok(Some(c)) => c,
                    Ok(None) => continue,
                    Err(e) => {
                        warn!(conversation_id = %id, error = %e, "could not restore handoff");
                        continue;
                    }
                };
                let kb = self
                    .deps
                    .assistant
                    .as_ref()
                    .map(|a| a.knowledge(&conversation))
                    .unwrap_or_default();
                let steps = self.steps.restore(&header, conversation, kb, now);
                self.run(steps, now, &mut batch).await;
                restored += 1;
            }
        }
        self.keep_last(batch);
        if restored > 0 {
            info!(restored, "open handoffs restored");
        }
    }
}
