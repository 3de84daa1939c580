//! Review's side of the store: the figures of each handoff (recomputed after it ends) and the
//! audit log of what staff changed.

use super::Result;
use crate::domain::{AuditEntry, ConversationId, HandoffFilter, HandoffMetrics};
use async_trait::async_trait;

/// Stored handoff figures and the audit log.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Stores the latest figures of conversations' handoffs, replacing earlier ones, in one
    /// transaction.
    async fn put_handoffs(&self, metrics: &[HandoffMetrics]) -> Result<()>;
    async fn handoff(&self, id: &ConversationId) -> Result<Option<HandoffMetrics>>;
    /// Handoffs matching `filter`, newest escalation first: how many match, and one page.
    async fn list_handoffs(
        &self,
        filter: &HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>)>;
    /// Every handoff matching `filter` (for aggregates), newest first.
    async fn handoffs_matching(&self, filter: &HandoffFilter) -> Result<Vec<HandoffMetrics>>;
    /// The distinct skills and triggers handoffs have, for filter choices.
    async fn handoff_facets(&self) -> Result<(Vec<String>, Vec<String>)>;
    /// Resolved conversations that were escalated but have no stored figures (a restart resumes
    /// computing them).
    async fn handoffs_missing(&self) -> Result<Vec<ConversationId>>;

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// The most recent audit entries first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}
