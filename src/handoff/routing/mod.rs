//! Skills routing and the queue: who is offered a conversation waiting for a human, and when.
//!
//! Contract:
//! - Sans-IO state machine. No clocks, channels or IO: every input is a method call on [`Router`]
//!   carrying `now`, every output is a returned `Vec<RoutingAction>` the caller executes in
//!   order. The same inputs always give the same outputs (ties are broken by user id).
//! - Queues: one per skill, ordered by urgency (higher first), then waiting time (older first).
//!   A conversation stays queued while offered and leaves on `accept` or `withdraw`.
//! - Best agent: has the skill, is signed in and `Available`, has load < `max_concurrent` and no
//!   pending offer, has not declined this conversation and is not already in it. If a language is
//!   given and a signed-in, not-away agent with the skill speaks it, only speakers qualify;
//!   otherwise anyone with the skill does. Ranked by fewer expired offers for this conversation,
//!   lower load, longer idle (since last assignment/release), then user id.
//! - Offers: at most one live offer per conversation and per agent, expiring after
//!   `offer_timeout_secs`. Only the holder may accept, and not once it expired. Decline moves on
//!   and never comes back to the decliner; expiry (on `tick`) moves on and ranks that agent last.
//!   With nobody qualifying the conversation just waits; any later input may offer it.
//! - Wait estimate: `position × mean handle time of the skill ÷ agents serving the skill` (at
//!   least 1), rounded up; the mean is over the last `handle_time_samples` releases, or
//!   `default_handle_secs` before any. `WaitEstimate` is emitted whenever a queued
//!   conversation's position or estimate changes.
//! - Specialists: `invite_specialist` offers the best agent with the skill who is not in the
//!   conversation; decline or expiry tries the next one; when nobody is left, `NoSpecialist`.
//! - Transfers: `transfer` asks a named colleague (who must be signed in, not away, not holding
//!   another offer) or the best agent with a skill to take an assigned conversation over. It is
//!   warm: the asking agent stays assigned until the caller releases them; decline or expiry of
//!   a skill transfer tries the next agent; when nobody is left, `TransferFailed` with the reason.
//!   One transfer or specialist invite per conversation at a time.
//! - Errors only for rejected `accept`/`decline`/`transfer` ([`RoutingError`]); other inputs about
//!   unknown agents or conversations are ignored and return no actions.

mod action;
mod agents;
mod config;
mod engine;
mod error;
mod estimate;
mod offers;
mod queue;
mod snapshot;
mod transfer;

#[cfg(test)]
mod tests;

pub use action::{RequeueReason, RoutingAction};
pub use agents::AgentStatus;
pub use config::RoutingConfig;
pub use engine::Router;
pub use error::RoutingError;
pub use snapshot::{AgentSnapshot, QueueSnapshot, QueuedConversation, RoutingSnapshot};
pub use transfer::TransferTarget;
