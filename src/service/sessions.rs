//! Sessions that end reach the sockets opened with them. A socket registers its token's digest;
//! logout ends it at once, and a watcher asks the store twice a second for tokens revoked or
//! expired since its last look, so a `warmline users disable` or password change run by another
//! process, and plain expiry, close the socket within a second (code 1008).

use crate::service::port::SessionEnd;
use crate::storage::Store;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// How often the store is asked.
pub const POLL: Duration = Duration::from_millis(500);
/// Each look reaches this far behind the last one: a revocation committed by another process a
/// little after its timestamp is still seen.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, watch::Sender<bool>>>,
}

/// Keeps a digest registered while a socket uses it.
struct Registration {
    sessions: Weak<Sessions>,
    digest: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(sessions) = self.sessions.upgrade() else {
            return;
        };
        if let Ok(mut open) = sessions.open.lock() {
            // `SessionEnd` drops its receiver before this guard: none left means nobody watches.
            if open
                .get(&self.digest)
                .is_some_and(|tx| tx.receiver_count() == 0)
            {
                open.remove(&self.digest);
            }
        };
    }
}

impl Sessions {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Watches the session behind `digest` for as long as the returned value lives.
    pub fn watch(self: &Arc<Self>, digest: String) -> SessionEnd {
        let rx = match self.open.lock() {
            Ok(mut open) => open
                .entry(digest.clone())
                .or_insert_with(|| watch::channel(false).0)
                .subscribe(),
            // A poisoned registry cannot end sessions; the socket still closes at logout's 401s.
            Err(_) => watch::channel(false).1,
        };
        let registration = Registration {
            sessions: Arc::downgrade(self),
            digest,
        };
        SessionEnd::new(rx, Box::new(registration))
    }

    /// Ends the sessions behind these digests; returns how many were open.
    pub fn end<'a>(&self, digests: impl IntoIterator<Item = &'a str>) -> usize {
        let Ok(open) = self.open.lock() else { return 0 };
        let mut ended = 0;
        for tx in digests.into_iter().filter_map(|d| open.get(d)) {
            tx.send_replace(true);
            ended += 1;
        }
        ended
    }

    pub fn watched(&self) -> usize {
        self.open.lock().map_or(0, |o| o.len())
    }

    /// Asks the store for ended tokens until the registry is dropped or the gateway stops.
    pub fn spawn_watcher(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        tasks: &super::tasks::Tasks,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let sessions = Arc::downgrade(self);
        let watch = async move {
            let mut since = Utc::now();
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(sessions) = sessions.upgrade() else {
                    break;
                };
                if sessions.watched() == 0 {
                    since = Utc::now();
                    continue;
                }
                let now = Utc::now();
                match store.tokens_ended_between(since - OVERLAP, now).await {
                    Ok(ended) => {
                        let closed = sessions.end(ended.iter().map(String::as_str));
                        if closed > 0 {
                            tracing::info!(
                                sockets_sessions = closed,
                                "ended sessions closed their sockets"
                            );
                        }
                        since = now;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not check for ended sessions"),
                }
            }
        };
        tasks.spawn("session watcher", super::tasks::until_stopped(stop, watch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ending_a_digest_wakes_its_sockets_and_drops_unregister() {
        let s = Sessions::new();
        let mut a = s.watch("d1".into());
        let mut b = s.watch("d1".into());
        let _other = s.watch("d2".into());
        assert_eq!(s.watched(), 2);
        assert_eq!(s.end(["d1", "nope"]), 1);
        tokio::time::timeout(Duration::from_secs(1), a.ended())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), b.ended())
            .await
            .unwrap();
        drop(a);
        assert_eq!(s.watched(), 2, "b still holds d1");
        drop(b);
        assert_eq!(s.watched(), 1);
    }

    #[tokio::test]
    async fn an_unended_session_does_not_resolve() {
        let s = Sessions::new();
        let mut a = s.watch("d1".into());
        assert!(tokio::time::timeout(Duration::from_millis(50), a.ended())
            .await
            .is_err());
    }
}
