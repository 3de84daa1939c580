//! The team's own settings kept in the store: canned responses (`domain::canned`) and the sites
//! whose widgets may open conversations (`domain::site`).

use super::Result;
use crate::domain::canned::CannedResponse;
use crate::domain::site::Site;
use crate::domain::AuditEntry;
use async_trait::async_trait;

/// Canned responses and sites.
#[async_trait]
pub trait Workspace: Send + Sync {
    /// Every canned response, by shortcut.
    async fn canned_responses(&self) -> Result<Vec<CannedResponse>>;
    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>>;
    /// Stores a new response with its audit entry, in one transaction; `Conflict` when its
    /// shortcut is taken.
    async fn create_canned_response(
        &self,
        response: &CannedResponse,
        audit: Option<&AuditEntry>,
    ) -> Result<()>;
    /// Replaces the response with `response.id` and writes the audit entry, in one transaction;
    /// false when there is no such response, `Conflict` when the new shortcut is taken.
    async fn update_canned_response(
        &self,
        response: &CannedResponse,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Deletes a response and writes the audit entry, in one transaction; false when there was
    /// none.
    async fn delete_canned_response(&self, id: &str, audit: &AuditEntry) -> Result<bool>;

    /// Every site, by name.
    async fn sites(&self) -> Result<Vec<Site>>;
    async fn create_site(&self, site: &Site) -> Result<()>;
    /// Creates the site or updates the one with its id (creation time kept).
    async fn upsert_site(&self, site: &Site) -> Result<()>;
    /// False when there was no such site.
    async fn delete_site(&self, id: &str) -> Result<bool>;
    /// False when there was no such site.
    async fn set_site_secret(&self, id: &str, secret: &str) -> Result<bool>;
}
