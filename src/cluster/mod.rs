//! Cluster mode: how the gateway nodes sharing one Postgres database reach each other. Core NATS
//! carries fan-out between nodes (`NatsFanout`, behind `chat::Fanout`); the database stays the
//! truth, and every gap a lost NATS message leaves is filled from it by `seq`.
//!
//! Contract:
//! - A node publishes what it committed after the commit, on per-conversation, per-user and inbox
//!   subjects ([`wire`]), and subscribes to a conversation's subject only while someone on the node
//!   is subscribed to the conversation.
//! - Delivery between nodes is best effort; a periodic position check (one query per node for all
//!   its subscribed conversations, [`positions`]) finds conversations whose last event never
//!   arrived and delivers them from the database. A NATS reconnect triggers a check at once, and
//!   with NATS down, delivery falls back to the check interval.
//! - Not carried between nodes yet: typing and presence, read receipts, queue snapshots.

pub mod nats_fanout;
pub mod positions;
pub mod wire;

pub use nats_fanout::NatsFanout;

/// What can go wrong joining the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot reach NATS at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
}
