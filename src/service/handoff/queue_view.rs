//! What each staff member sees of the routing queue. Managers see all of it. An agent sees the
//! waiting conversations (with the customer's name and the trigger) only of the skills they serve;
//! of the others only how many wait and how long it may take; and of their colleagues only
//! whether they are online and how loaded, not their skills or languages. Pure, over the snapshot
//! the coordinator publishes.

use crate::domain::{Principal, Role};
use serde_json::{json, Value};

pub fn for_viewer(who: &Principal, snapshot: &Value) -> Value {
    let user = match who {
        Principal::Staff(u) if u.role == Role::Manager && !u.disabled => return snapshot.clone(),
        Principal::Staff(u) if !u.disabled => u,
        _ => return json!({ "queues": [], "agents": [] }),
    };
    let mut v = snapshot.clone();
    if let Some(queues) = v.get_mut("queues").and_then(Value::as_array_mut) {
        for q in queues {
            let skill = q.get("skill").and_then(Value::as_str).unwrap_or_default();
            if user.has_skill(skill) {
                continue;
            }
            let Some(obj) = q.as_object_mut() else {
                continue;
            };
            let waiting = obj
                .get("conversations")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            obj.insert("conversations".into(), json!([]));
            obj.insert("waiting".into(), waiting.into());
        }
    }
    if let Some(agents) = v.get_mut("agents").and_then(Value::as_array_mut) {
        for a in agents {
            let me = a.get("agentId").and_then(Value::as_str) == Some(user.id.as_str());
            if let (false, Some(obj)) = (me, a.as_object_mut()) {
                obj.remove("skills");
                obj.remove("languages");
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::User;

    fn staff(id: &str, role: Role, skills: &[&str]) -> Principal {
        Principal::Staff(User::for_tests(id, role, skills))
    }

    fn snapshot() -> Value {
        json!({
            "queues": [
                { "skill": "billing", "conversations": [ { "conversationId": "c1", "customerName": "Dana" } ] },
                { "skill": "security", "conversations": [ { "conversationId": "c2", "customerName": "Eve" }, { "conversationId": "c3", "customerName": "Ann" } ] }
            ],
            "agents": [
                { "agentId": "sam", "skills": ["billing"], "languages": ["en"], "online": true },
                { "agentId": "tess", "skills": ["security"], "languages": ["de"], "online": true }
            ]
        })
    }

    #[test]
    fn agents_see_names_only_in_their_own_skills_queues() {
        let v = for_viewer(&staff("sam", Role::Agent, &["billing"]), &snapshot());
        let text = v.to_string();
        assert!(text.contains("Dana"));
        assert!(!text.contains("Eve") && !text.contains("Ann"), "{text}");
        assert_eq!(v["queues"][1]["waiting"], 2);
        assert_eq!(
            v["agents"][0]["skills"],
            json!(["billing"]),
            "their own entry is whole"
        );
        assert!(v["agents"][1].get("skills").is_none());
    }

    #[test]
    fn managers_see_everything_and_customers_nothing() {
        let m = for_viewer(&staff("m", Role::Manager, &[]), &snapshot());
        assert_eq!(m, snapshot());
        let c = for_viewer(
            &Principal::Customer {
                conversation_id: "c1".into(),
            },
            &snapshot(),
        );
        assert_eq!(c["queues"], json!([]));
    }
}
