//! The built-in assistant: answers from the knowledge base, in process, deterministically.
//!
//! For each customer message, in order:
//! 1. An explicit request for a person gets a handoff request (`customer_request`).
//! 2. Greetings and thanks get a short friendly line (no knowledge-base text).
//! 3. Otherwise the message is searched (with half-weight words from the previous customer message
//!    when this one only makes sense with it: "still not working"). The best passage the
//!    conversation has not seen yet is rendered as a lead-in, the passage text and a closing line;
//!    its `Actions:` become `actions_attempted`.
//! 4. A passage counts as seen when every one of its actions was already attempted by an earlier
//!    `ai` message, or an earlier `ai` message already contains its text. Offering a lower-ranked
//!    passage because better ones were seen lowers confidence (`Tuning::followup_penalty`, and never
//!    above the previous reply's confidence). When every relevant passage was seen, the assistant
//!    says so and asks for a person (`kb_exhausted`).
//! 5. A weak match (confidence below `Tuning::min_confidence`) or no match at all is answered
//!    honestly as out of scope instead of with a guess.

use super::bm25::Hit;
use super::confidence::{confidence, Ranking};
use super::cues::{self, SmallTalk};
use super::error::AssistantError;
use super::kb::{KnowledgeBase, Passage, Query};
use super::phrasing::{self, Opener};
use super::text;
use super::{
    Assistant, AssistantReply, HandoffRequest, REASON_CUSTOMER_REQUEST, REASON_KB_EXHAUSTED,
};
use crate::domain::{Conversation, Message, SentimentLabel, Speaker};
use std::collections::HashSet;

/// Thresholds of the built-in assistant (from `[assistant]`, kind `builtin`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    pub min_confidence: f64,
    pub followup_penalty: f64,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            min_confidence: super::config::default_min_confidence(),
            followup_penalty: super::config::default_followup_penalty(),
        }
    }
}

/// Weight of the previous customer message's words in a follow-up query.
const PREVIOUS_WEIGHT: f64 = 0.5;
/// A passage further down the ranking is still "about the same thing" if it scores at least this
/// share of the top score; below it, offering it would be changing the subject.
const RELEVANCE_FLOOR: f64 = 0.35;
/// Confidence of replies that need no knowledge: greetings, thanks, handing over on request.
const SMALL_TALK_CONFIDENCE: f64 = 0.9;
/// Confidence when nothing in the knowledge base matched, or nothing untried is left.
const NO_MATCH_CONFIDENCE: f64 = 0.05;
const EXHAUSTED_CONFIDENCE: f64 = 0.1;
/// Topics listed in the out-of-scope answer.
const MAX_TOPICS: usize = 6;

pub struct BuiltinAssistant {
    kb: KnowledgeBase,
    tuning: Tuning,
}

/// What earlier messages tell us.
struct History<'a> {
    earlier: &'a [Message],
    attempted: HashSet<&'a str>,
}

impl<'a> History<'a> {
    fn of(conversation: &'a Conversation, message: &Message) -> Self {
        let all = conversation.messages.as_slice();
        // Everything before `message`; if it is not in the list, everything is earlier.
        let earlier = match all.iter().position(|m| m.id == message.id) {
            Some(i) => &all[..i],
            None => all,
        };
        let attempted = earlier
            .iter()
            .filter(|m| m.speaker == Speaker::Ai)
            .flat_map(|m| m.actions_attempted.iter().map(String::as_str))
            .collect();
        Self { earlier, attempted }
    }

    fn ai_messages(&self) -> impl Iterator<Item = &'a Message> {
        self.earlier.iter().filter(|m| m.speaker == Speaker::Ai)
    }

    fn seen(&self, p: &Passage<'_>) -> bool {
        let actions = &p.section.actions;
        (!actions.is_empty() && actions.iter().all(|a| self.attempted.contains(a.as_str())))
            || self
                .ai_messages()
                .any(|m| m.content.contains(&p.section.plain))
    }

    fn last_ai_confidence(&self) -> Option<f64> {
        self.ai_messages().filter_map(|m| m.confidence).last()
    }
}

impl BuiltinAssistant {
    pub fn new(kb: KnowledgeBase, tuning: Tuning) -> Self {
        Self { kb, tuning }
    }

    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The whole decision, synchronous and without IO.
    pub fn answer(&self, conversation: &Conversation, message: &Message) -> AssistantReply {
        let history = History::of(conversation, message);
        let words = text::words(&message.content);

        if cues::asks_for_person(&words) {
            let mut reply = AssistantReply::text(phrasing::PERSON, SMALL_TALK_CONFIDENCE);
            reply.handoff = Some(HandoffRequest {
                reason: REASON_CUSTOMER_REQUEST.into(),
                skill: self.skill_of_conversation(conversation),
                urgency: None,
            });
            return reply;
        }
        if let Some(kind) = cues::small_talk(&words) {
            let content = match kind {
                SmallTalk::Greeting => phrasing::GREETING,
                SmallTalk::Thanks => phrasing::THANKS,
                SmallTalk::Resolved => phrasing::RESOLVED,
            };
            return AssistantReply::text(content, SMALL_TALK_CONFIDENCE);
        }

        let query = self.query(&words, &message.content, &history);
        let hits = self.kb.search(&query);
        let ceiling = self.kb.ceiling(&query);
        let Some(top) = hits.first() else {
            return self.out_of_scope(NO_MATCH_CONFIDENCE);
        };
        let top_confidence = self.confidence_at(&hits, 0, ceiling);
        if top_confidence < self.tuning.min_confidence {
            return self.out_of_scope(top_confidence);
        }

        let floor = top.score * RELEVANCE_FLOOR;
        let fresh = hits
            .iter()
            .enumerate()
            .take_while(|(_, h)| h.score >= floor)
            .filter_map(|(rank, h)| Some((rank, self.kb.passage(h.doc)?)))
            .find(|(_, p)| !history.seen(p));

        match fresh {
            Some((0, passage)) => {
                let opener = match message.sentiment {
                    Some(SentimentLabel::Negative | SentimentLabel::Frustrated) => {
                        Opener::Empathetic
                    }
                    _ => Opener::Plain,
                };
                self.render(opener, &passage, top_confidence)
            }
            Some((rank, passage)) => {
                let own = self.confidence_at(&hits, rank, ceiling);
                let capped = history
                    .last_ai_confidence()
                    .map_or(own, |prev| own.min(prev));
                self.render(
                    Opener::AfterFailure,
                    &passage,
                    capped * self.tuning.followup_penalty,
                )
            }
            None => {
                let mut reply = AssistantReply::text(phrasing::EXHAUSTED, EXHAUSTED_CONFIDENCE);
                let skill = self
                    .kb
                    .passage(top.doc)
                    .and_then(|p| p.article.skill.clone());
                reply.handoff = Some(HandoffRequest {
                    reason: REASON_KB_EXHAUSTED.into(),
                    skill,
                    urgency: None,
                });
                reply
            }
        }
    }

    /// The customer's words, plus half-weight words of their previous message when this one leans
    /// on it (see `cues::is_followup`).
    fn query(&self, words: &[String], content: &str, history: &History<'_>) -> Query {
        let own = Query::new().with(content, 1.0);
        if !cues::is_followup(words, own.terms().len(), self.kb.known_terms(&own)) {
            return own;
        }
        // The topic is set by the customer's last message that was not itself a follow-up
        // ("still not working" after "that didn't help" leans on the original question).
        let candidates = || {
            history
                .earlier
                .iter()
                .rev()
                .filter(|m| m.speaker == Speaker::Customer)
        };
        let known = |m: &Message| self.kb.known_terms(&Query::new().with(&m.content, 1.0));
        let previous = candidates()
            .find(|m| {
                let q = Query::new().with(&m.content, 1.0);
                let k = known(m);
                k > 0 && !cues::is_followup(&text::words(&m.content), q.terms().len(), k)
            })
            .or_else(|| candidates().find(|m| known(m) > 0));
        match previous {
            // Words the knowledge base has never seen ("ugh, nope") would only raise the ceiling
            // and make a clear follow-up look out of scope, so such a message adds nothing.
            Some(m) if self.kb.known_terms(&own) == 0 => {
                Query::new().with(&m.content, PREVIOUS_WEIGHT)
            }
            Some(m) => own.with(&m.content, PREVIOUS_WEIGHT),
            None => own,
        }
    }

    /// Confidence of offering `hits[rank]`, against the best passage of any other article.
    fn confidence_at(&self, hits: &[Hit], rank: usize, ceiling: f64) -> f64 {
        let Some(chosen) = hits.get(rank) else {
            return 0.0;
        };
        let article_of = |h: &Hit| self.kb.passage(h.doc).map(|p| p.article.id.as_str());
        let own_article = article_of(chosen);
        let competitor = hits
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != rank && article_of(h) != own_article)
            .map(|(_, h)| h.score)
            .next();
        confidence(Ranking {
            top: chosen.score,
            competitor,
            ceiling,
        })
    }

    fn render(&self, opener: Opener, passage: &Passage<'_>, confidence: f64) -> AssistantReply {
        let actions = passage.section.actions.clone();
        let mut reply = AssistantReply::text(
            phrasing::answer(opener, &passage.section.plain, !actions.is_empty()),
            confidence.clamp(0.0, 1.0),
        );
        reply.actions_attempted = actions;
        reply.sources = vec![passage.source()];
        reply
    }

    fn out_of_scope(&self, confidence: f64) -> AssistantReply {
        let topics: Vec<&str> = self
            .kb
            .articles()
            .iter()
            .take(MAX_TOPICS)
            .map(|a| a.topic.as_deref().unwrap_or(&a.title))
            .collect();
        let mut reply = AssistantReply::text(phrasing::out_of_scope(&topics), confidence);
        reply.out_of_scope = true;
        reply
    }

    /// The skill of what the customer has been talking about: the article of the most recent
    /// customer message the knowledge base recognises confidently.
    fn skill_of_conversation(&self, conversation: &Conversation) -> Option<String> {
        conversation
            .messages
            .iter()
            .rev()
            .filter(|m| m.speaker == Speaker::Customer)
            .find_map(|m| {
                let query = Query::new().with(&m.content, 1.0);
                let hits = self.kb.search(&query);
                let top = hits.first()?;
                if self.confidence_at(&hits, 0, self.kb.ceiling(&query))
                    < self.tuning.min_confidence
                {
                    return None;
                }
                self.kb.passage(top.doc)?.article.skill.clone()
            })
    }
}

#[async_trait::async_trait]
impl Assistant for BuiltinAssistant {
    fn name(&self) -> &str {
        "builtin"
    }

    async fn reply(
        &self,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<AssistantReply, AssistantError> {
        Ok(self.answer(conversation, message))
    }

    fn next_step_hints(&self, conversation: &Conversation) -> Vec<String> {
        self.hints(conversation)
    }

    fn knowledge_match(&self, text: &str) -> Option<(String, f64)> {
        let query = Query::new().with(text, 1.0);
        let top = self.kb.search(&query).into_iter().next()?;
        let passage = self.kb.passage(top.doc)?;
        // Strength only: an agent answer that restates an article is a match even when a
        // neighbouring article would match too.
        let strength = confidence(Ranking {
            top: top.score,
            competitor: None,
            ceiling: self.kb.ceiling(&query),
        });
        Some((passage.article.title.clone(), strength))
    }
}

impl BuiltinAssistant {
    /// Up to `MAX_HINTS` knowledge-base sections that match what the customer wrote and propose a
    /// step nobody tried yet, as "See “Article › Section”: first sentence".
    fn hints(&self, conversation: &Conversation) -> Vec<String> {
        const MAX_HINTS: usize = 2;
        let tried: std::collections::HashSet<&str> = conversation
            .messages
            .iter()
            .flat_map(|m| m.actions_attempted.iter().map(String::as_str))
            .collect();
        let mut query = Query::new();
        for m in conversation
            .messages
            .iter()
            .filter(|m| m.speaker == crate::domain::Speaker::Customer)
        {
            query = query.with(&m.content, 1.0);
        }
        if query.is_empty() {
            return Vec::new();
        }
        self.kb
            .search(&query)
            .iter()
            .filter_map(|h| self.kb.passage(h.doc))
            .filter(|p| {
                !p.section.actions.is_empty()
                    && p.section
                        .actions
                        .iter()
                        .all(|a| !tried.contains(a.as_str()))
            })
            .take(MAX_HINTS)
            .map(|p| {
                let first = p
                    .section
                    .plain
                    .split_inclusive(['.', '!', '?'])
                    .next()
                    .unwrap_or("")
                    .trim();
                format!(
                    "See \u{201c}{} \u{203a} {}\u{201d}: {first}",
                    p.article.title, p.section.heading
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::article;
    use crate::assistant::testutil::Chat;

    const WIDGETS: &str = "# Widget troubles\nSkill: technical\nTopic: widgets\n\n\
        ## Restart the widget\nIf the widget is frozen or broken, restart it from the widget menu.\nActions: widget_restart\n\n\
        ## Reinstall the widget\nIf a restart did not fix the frozen widget, remove the widget and add it again.\nActions: widget_reinstall\n";
    const BILLING: &str = "# Billing questions\nSkill: billing\n\n\
        ## Refund policy\nRefunds are available within **30 days** of purchase.\n\n\
        ## Invoices\nDownload invoices from the billing page.\nActions: invoice_download\n";

    fn assistant() -> BuiltinAssistant {
        let articles = vec![
            article::parse("widgets", WIDGETS).unwrap(),
            article::parse("billing", BILLING).unwrap(),
        ];
        BuiltinAssistant::new(
            KnowledgeBase::from_articles(articles).unwrap(),
            Tuning::default(),
        )
    }

    fn ask(a: &BuiltinAssistant, chat: &Chat) -> AssistantReply {
        let (conv, msg) = chat.turn();
        a.answer(&conv, &msg)
    }

    #[test]
    fn answers_with_the_best_passage_as_plain_text() {
        let a = assistant();
        let r = ask(&a, &Chat::new().customer("My widget is frozen"));
        assert_eq!(r.sources, ["widgets#restart-the-widget"]);
        assert_eq!(r.actions_attempted, ["widget_restart"]);
        assert!(
            r.content.contains("restart it from the widget menu"),
            "{}",
            r.content
        );
        assert!(
            !r.content.contains("Actions") && !r.content.contains('#'),
            "{}",
            r.content
        );
        assert!(
            r.confidence >= 0.5 && !r.out_of_scope && r.handoff.is_none(),
            "{r:?}"
        );

        let r = ask(&a, &Chat::new().customer("What is your refund policy?"));
        assert_eq!(r.sources, ["billing#refund-policy"]);
        assert!(
            r.content.contains("within 30 days") && !r.content.contains("**"),
            "{}",
            r.content
        );
        assert!(r.actions_attempted.is_empty());
    }

    #[test]
    fn never_repeats_a_tried_passage_and_gives_up_honestly() {
        let a = assistant();
        let chat = Chat::new().customer("My widget is frozen");
        let first = ask(&a, &chat);
        assert_eq!(first.actions_attempted, ["widget_restart"]);

        let chat = chat.ai(&first).customer("still not working");
        let second = ask(&a, &chat);
        assert_eq!(second.actions_attempted, ["widget_reinstall"], "{second:?}");
        assert!(
            second.content.starts_with("Sorry that didn't do it."),
            "{}",
            second.content
        );
        assert!(
            second.confidence < first.confidence,
            "{} !< {}",
            second.confidence,
            first.confidence
        );
        assert!(second.handoff.is_none());

        let chat = chat.ai(&second).customer("nope, still broken");
        let third = ask(&a, &chat);
        assert!(
            third.actions_attempted.is_empty() && third.sources.is_empty(),
            "{third:?}"
        );
        assert!(third.confidence < 0.2, "{third:?}");
        let h = third.handoff.expect("asks for a person when out of ideas");
        assert_eq!(
            (h.reason.as_str(), h.skill.as_deref()),
            (REASON_KB_EXHAUSTED, Some("technical"))
        );
    }

    #[test]
    fn a_new_topic_after_a_failed_one_is_answered_normally() {
        let a = assistant();
        let chat = Chat::new().customer("My widget is frozen");
        let first = ask(&a, &chat);
        let r = ask(
            &a,
            &chat.ai(&first).customer("Where can I download invoices?"),
        );
        assert_eq!(r.sources, ["billing#invoices"]);
        assert!(r.content.starts_with("Happy to help"), "{}", r.content);
    }

    #[test]
    fn passages_without_actions_are_not_repeated_either() {
        let a = assistant();
        let chat = Chat::new().customer("refund policy?");
        let first = ask(&a, &chat);
        assert_eq!(first.sources, ["billing#refund-policy"]);
        let again = ask(&a, &chat.ai(&first).customer("refund policy?"));
        assert_ne!(again.sources, first.sources, "{again:?}");
    }

    #[test]
    fn off_topic_is_out_of_scope_with_low_confidence() {
        let a = assistant();
        for q in ["What's the weather in Paris?", "asdfgh", "?"] {
            let r = ask(&a, &Chat::new().customer(q));
            assert!(r.out_of_scope && r.confidence < 0.2, "{q}: {r:?}");
            assert!(
                r.content.starts_with("I'm not sure I can help"),
                "{}",
                r.content
            );
            assert!(
                r.content.contains("like billing questions and widgets."),
                "{}",
                r.content
            );
            assert!(r.sources.is_empty() && r.actions_attempted.is_empty());
        }
    }

    #[test]
    fn small_talk_gets_a_short_friendly_reply() {
        let a = assistant();
        let r = ask(&a, &Chat::new().customer("Hello!"));
        assert_eq!(r.content, phrasing::GREETING);
        assert!(r.sources.is_empty() && !r.out_of_scope);
        assert_eq!(
            ask(&a, &Chat::new().customer("thanks a lot")).content,
            phrasing::THANKS
        );
        assert_eq!(
            ask(&a, &Chat::new().customer("that worked, thanks!")).content,
            phrasing::RESOLVED
        );
    }

    #[test]
    fn asking_for_a_person_requests_a_handoff_with_the_topic_skill() {
        let a = assistant();
        let chat = Chat::new().customer("Where can I download invoices?");
        let first = ask(&a, &chat);
        let r = ask(
            &a,
            &chat
                .ai(&first)
                .customer("Can I talk to a real person please?"),
        );
        let h = r.handoff.expect("handoff");
        assert_eq!(h.reason, REASON_CUSTOMER_REQUEST);
        assert_eq!(h.skill.as_deref(), Some("billing"));
        assert!(r.actions_attempted.is_empty());

        let r = ask(&a, &Chat::new().customer("agent"));
        assert_eq!(r.handoff.map(|h| h.skill), Some(None));
    }

    #[test]
    fn upset_customers_get_an_empathetic_lead_in() {
        let a = assistant();
        let mut chat = Chat::new().customer("My widget is frozen again, this is ridiculous");
        let (mut conv, mut msg) = chat.turn();
        msg.sentiment = Some(SentimentLabel::Frustrated);
        if let Some(last) = conv.messages.last_mut() {
            last.sentiment = msg.sentiment;
        }
        let r = a.answer(&conv, &msg);
        assert!(
            r.content.starts_with("I'm sorry for the trouble."),
            "{}",
            r.content
        );
        chat = chat.customer("ok");
        assert_eq!(ask(&a, &chat).content, phrasing::THANKS);
    }
}
