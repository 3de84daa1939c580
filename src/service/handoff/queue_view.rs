//! What each staff member sees of the routing queue. Managers see all of it. An agent sees the
//! waiting conversations (with the customer's name and the trigger) only of the skills they serve;
//! of the others only how many wait and how long it may take; and of their colleagues only
//! whether they are online and how loaded, not their skills or languages. Pure, over the view
//! the coordinator publishes.

use crate::domain::{Principal, QueueView, Role};

pub fn for_viewer(who: &Principal, snapshot: &QueueView) -> QueueView {
    let user = match who {
        Principal::Staff(u) if u.role == Role::Manager && !u.disabled => return snapshot.clone(),
        Principal::Staff(u) if !u.disabled => u,
        _ => return QueueView::default(),
    };
    let mut v = snapshot.clone();
    for q in &mut v.queues {
        if user.has_skill(&q.skill) {
            continue;
        }
        q.waiting = Some(q.conversations.len());
        q.conversations.clear();
    }
    for a in &mut v.agents {
        if a.agent_id != user.id {
            a.skills = None;
            a.languages = None;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        AgentLoad, AgentStatus, CaseSummary, QueuedCase, SkillQueue, Urgency, User,
    };
    use serde_json::{json, Value};

    fn staff(id: &str, role: Role, skills: &[&str]) -> Principal {
        Principal::Staff(User::for_tests(id, role, skills))
    }

    fn case(id: &str, position: usize, name: Option<&str>) -> QueuedCase {
        QueuedCase {
            conversation_id: id.into(),
            position,
            urgency: Urgency::Medium,
            language: None,
            enqueued_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            estimate_secs: 60,
            offered_to: (position == 1).then(|| "sam".into()),
            case: Some(CaseSummary {
                customer_name: name.map(str::to_owned),
                trigger: "explicit_request".into(),
                email_followup: false,
            }),
        }
    }

    fn agent(id: &str, skills: &[&str], language: &str) -> AgentLoad {
        AgentLoad {
            agent_id: id.into(),
            status: AgentStatus::Available,
            online: true,
            load: 1,
            max_concurrent: 3,
            skills: Some(skills.iter().map(|s| s.to_string()).collect()),
            languages: Some(vec![language.to_owned()]),
            conversations: vec!["c9".into()],
            offer: None,
            idle_since: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            name: id.to_uppercase(),
        }
    }

    fn snapshot() -> QueueView {
        QueueView {
            queues: vec![
                SkillQueue {
                    skill: "billing".into(),
                    agents_serving: 1,
                    mean_handle_secs: 300,
                    conversations: vec![case("c1", 1, Some("Dana"))],
                    waiting: None,
                },
                SkillQueue {
                    skill: "security".into(),
                    agents_serving: 1,
                    mean_handle_secs: 0,
                    conversations: vec![case("c2", 1, Some("Eve")), case("c3", 2, None)],
                    waiting: None,
                },
            ],
            agents: vec![
                agent("sam", &["billing"], "en"),
                agent("tess", &["security"], "de"),
            ],
        }
    }

    #[test]
    fn agents_see_names_only_in_their_own_skills_queues() {
        let v = for_viewer(&staff("sam", Role::Agent, &["billing"]), &snapshot());
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert!(text.contains("Dana"));
        assert!(!text.contains("Eve") && !text.contains("Ann"), "{text}");
        assert_eq!(v.queues[1].waiting, Some(2));
        assert_eq!(
            v.agents[0].skills,
            Some(vec!["billing".to_owned()]),
            "their own entry is whole"
        );
        assert!(v.agents[1].skills.is_none());
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
        assert!(c.queues.is_empty() && c.agents.is_empty());
    }

    /// The cut as it was made over the published JSON before the view was typed: the wire must
    /// not change.
    fn old_for_viewer(who: &Principal, snapshot: &Value) -> Value {
        let user = match who {
            Principal::Staff(u) if u.role == Role::Manager && !u.disabled => {
                return snapshot.clone()
            }
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

    #[test]
    fn the_typed_view_serialises_as_the_json_one_did() {
        let published = snapshot();
        let as_json = serde_json::to_value(&published).unwrap_or_default();
        // The fields the agent page reads, spelled as before.
        assert_eq!(as_json["queues"][0]["agentsServing"], 1);
        assert_eq!(as_json["queues"][0]["meanHandleSecs"], 300);
        let first = &as_json["queues"][0]["conversations"][0];
        assert_eq!(first["customerName"], "Dana");
        assert_eq!(first["trigger"], "explicit_request");
        assert_eq!(first["emailFollowup"], false);
        assert_eq!(first["offeredTo"], "sam");
        assert!(first.get("language").is_none() && first.get("waiting").is_none());
        assert_eq!(
            as_json["queues"][1]["conversations"][1]["customerName"],
            Value::Null,
            "a customer without a name is null, not absent"
        );
        assert_eq!(as_json["agents"][1]["name"], "TESS");
        assert_eq!(as_json["agents"][1]["maxConcurrent"], 3);
        assert_eq!(as_json["agents"][1]["status"], "available");
        assert!(as_json["agents"][1].get("offer").is_none());
        for who in [
            staff("m", Role::Manager, &[]),
            staff("sam", Role::Agent, &["billing"]),
            staff("tess", Role::Agent, &["security", "billing"]),
            staff("x", Role::Agent, &[]),
            Principal::Customer {
                conversation_id: "c1".into(),
            },
        ] {
            let typed = serde_json::to_value(for_viewer(&who, &published)).unwrap_or_default();
            assert_eq!(typed, old_for_viewer(&who, &as_json), "{who:?}");
        }
        // A case the coordinator does not know has no customer fields at all.
        let mut unknown = case("c4", 1, None);
        unknown.case = None;
        let v = serde_json::to_value(&unknown).unwrap_or_default();
        assert!(v.get("customerName").is_none() && v.get("trigger").is_none());
        // And the frame round-trips (test clients parse it).
        let back: QueueView = serde_json::from_value(as_json).expect("parses");
        assert_eq!(back, published);
    }
}
