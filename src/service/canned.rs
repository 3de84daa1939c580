//! Canned responses behind `Backend`: who may read them (agents and managers) and change them
//! (managers), the audit entry each change is committed with, and the demo set.

use super::gateway::Gateway;
use crate::domain::canned::{self, CannedDraft, CannedError, CannedResponse, Fields};
use crate::domain::ids::is_plausible_id;
use crate::domain::{AuditEntry, ConversationId, Principal, Role, Timestamp, User, UserId};
use crate::service::port::Asker;
use crate::service::port::{CannedInput, CannedView};
use crate::service::ServiceError;
use crate::storage::{StorageError, Store};
use chrono::{SubsecRound, Utc};
use std::collections::HashMap;

impl From<CannedError> for ServiceError {
    fn from(e: CannedError) -> Self {
        match e {
            CannedError::BodyTooLarge => ServiceError::TooLarge(e.to_string()),
            other => ServiceError::Invalid(other.to_string()),
        }
    }
}

/// The agent or manager behind `who`, or 403.
fn staff_of(who: &Principal) -> Result<&User, ServiceError> {
    match who {
        Principal::Staff(u) if !u.disabled => Ok(u),
        _ => Err(ServiceError::Forbidden(
            "canned responses are for agents and managers".into(),
        )),
    }
}

/// The manager behind `who`, or 403.
fn manager_of(who: &Principal) -> Result<&User, ServiceError> {
    match who {
        Principal::Staff(u) if u.role == Role::Manager && !u.disabled => Ok(u),
        _ => Err(ServiceError::Forbidden(
            "only managers change canned responses".into(),
        )),
    }
}

/// Now, at the millisecond precision the store keeps (what a change answers is what is read later).
fn now() -> Timestamp {
    Utc::now().trunc_subsecs(3)
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("canned response not found".into())
}

/// An id from a path: one that cannot exist is simply not found.
fn checked_id(id: &str) -> Result<&str, ServiceError> {
    if is_plausible_id(id) {
        Ok(id)
    } else {
        Err(not_found())
    }
}

fn draft(input: &CannedInput) -> Result<CannedDraft, ServiceError> {
    Ok(CannedDraft::new(
        &input.shortcut,
        &input.title,
        &input.body,
    )?)
}

fn entry(manager: &User, asker: Asker<'_>, action: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: now(),
        user_id: manager.id.clone(),
        username: manager.username.clone(),
        action: action.to_owned(),
        conversation_id: None,
        detail,
        ip: asker.ip.to_string(),
    }
}

fn view(response: CannedResponse, by: &User) -> CannedView {
    CannedView {
        response,
        updated_by_name: Some(by.name.clone()),
        filled: None,
    }
}

impl Gateway {
    pub(crate) async fn canned_responses_impl(
        &self,
        who: &Principal,
        query: &str,
        conversation: Option<&ConversationId>,
    ) -> Result<Vec<CannedView>, ServiceError> {
        let me = staff_of(who)?;
        let context = match conversation {
            Some(id) => Some(
                crate::service::port::Backend::authorize(self, who, id)
                    .await?
                    .0,
            ),
            None => None,
        };
        let items = canned::search(self.store.canned_responses().await?, query);
        let names: HashMap<UserId, String> = self
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let fields = context.as_ref().map(|h| Fields {
            customer_name: h.customer.name.as_deref(),
            agent_name: Some(me.name.as_str()).filter(|n| !n.trim().is_empty()),
            skill: Some(h.skill.as_str()),
        });
        Ok(items
            .into_iter()
            .map(|r| CannedView {
                updated_by_name: names.get(&r.updated_by).cloned(),
                filled: fields.map(|f| canned::fill(&r.body, f)),
                response: r,
            })
            .collect())
    }

    pub(crate) async fn create_canned_response_impl(
        &self,
        asker: Asker<'_>,
        input: CannedInput,
    ) -> Result<CannedView, ServiceError> {
        let manager = manager_of(asker.who)?;
        let draft = draft(&input)?;
        let id = format!("cr-{}", uuid::Uuid::now_v7());
        let response = CannedResponse::create(id, draft, manager.id.clone(), now());
        let audit = entry(
            manager,
            asker,
            "canned.created",
            format!("/{}", response.shortcut),
        );
        self.store
            .create_canned_response(&response, Some(&audit))
            .await?;
        tracing::info!(shortcut = %response.shortcut, by = %manager.username, "canned response added");
        Ok(view(response, manager))
    }

    pub(crate) async fn update_canned_response_impl(
        &self,
        asker: Asker<'_>,
        id: &str,
        input: CannedInput,
    ) -> Result<CannedView, ServiceError> {
        let manager = manager_of(asker.who)?;
        let id = checked_id(id)?;
        let draft = draft(&input)?;
        let before = self
            .store
            .canned_response(id)
            .await?
            .ok_or_else(not_found)?;
        let after = before.edited(draft, manager.id.clone(), now());
        let detail = if before.shortcut == after.shortcut {
            format!("/{}", after.shortcut)
        } else {
            format!("/{} → /{}", before.shortcut, after.shortcut)
        };
        let audit = entry(manager, asker, "canned.updated", detail);
        if !self.store.update_canned_response(&after, &audit).await? {
            return Err(not_found());
        }
        Ok(view(after, manager))
    }

    pub(crate) async fn delete_canned_response_impl(
        &self,
        asker: Asker<'_>,
        id: &str,
    ) -> Result<(), ServiceError> {
        let manager = manager_of(asker.who)?;
        let id = checked_id(id)?;
        let gone = self
            .store
            .canned_response(id)
            .await?
            .ok_or_else(not_found)?;
        let audit = entry(
            manager,
            asker,
            "canned.deleted",
            format!("/{}", gone.shortcut),
        );
        if !self.store.delete_canned_response(id, &audit).await? {
            return Err(not_found());
        }
        Ok(())
    }
}

/// The demo set, added with the demo team (`serve --demo` on an empty database).
const DEMO: [(&str, &str, &str); 3] = [
    (
        "refund",
        "Refund issued",
        "Hi {customer}, I've issued a full refund for the duplicate charge. It will be back on your \
         card within 5 to 10 business days, and you'll get an e-mail receipt shortly. Is there \
         anything else I can help you with?",
    ),
    (
        "hello",
        "Greeting",
        "Hi {customer}, this is {agent} from the {skill} team. I've read through your conversation \
         with our assistant, so there's no need to repeat anything. Give me a moment to look into it.",
    ),
    (
        "wrap-up",
        "Wrap-up",
        "Thanks for your patience. I'm glad we could sort this out. If anything else comes up, \
         just reply here and we'll pick it up. Have a good day! {agent}",
    ),
];

/// Adds the demo responses as written by `by`; shortcuts already taken are left alone.
pub async fn seed_demo(store: &dyn Store, by: &UserId) -> Result<(), StorageError> {
    let now = now();
    for (shortcut, title, body) in DEMO {
        let Ok(draft) = CannedDraft::new(shortcut, title, body) else {
            continue;
        };
        let r = CannedResponse::create(
            format!("cr-{}", uuid::Uuid::now_v7()),
            draft,
            by.clone(),
            now,
        );
        match store.create_canned_response(&r, None).await {
            Ok(()) | Err(StorageError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_set_is_valid() {
        for (shortcut, title, body) in DEMO {
            let d = CannedDraft::new(shortcut, title, body).unwrap();
            assert_eq!(d.shortcut, shortcut);
        }
    }

    #[test]
    fn errors_map_to_statuses() {
        use crate::service::ErrorKind;
        assert_eq!(
            ServiceError::from(CannedError::BadShortcut).kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            ServiceError::from(CannedError::EmptyBody).kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            ServiceError::from(CannedError::BodyTooLarge).kind(),
            ErrorKind::TooLarge
        );
    }

    #[test]
    fn who_may() {
        let agent = Principal::Staff(User::for_tests("a", Role::Agent, &[]));
        let manager = Principal::Staff(User::for_tests("m", Role::Manager, &[]));
        let bot = Principal::Bot {
            key_id: "k".into(),
            name: "bot".into(),
        };
        let customer = Principal::Customer {
            conversation_id: ConversationId::from("c"),
        };
        assert!(staff_of(&agent).is_ok() && staff_of(&manager).is_ok());
        assert!(staff_of(&bot).is_err() && staff_of(&customer).is_err());
        assert!(manager_of(&manager).is_ok());
        assert!(manager_of(&agent).is_err() && manager_of(&bot).is_err());
    }
}
