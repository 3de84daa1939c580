//! The gateway's background tasks that hold work worth finishing (the webhook and e-mail
//! outboxes, review recomputation, retention), so shutdown can wait for them.
//!
//! Contract: a task spawned here must end by itself once the gateway's stop signal turns true,
//! after finishing the unit of work in flight (one webhook attempt, one e-mail round) and
//! recording its outcome; `wait_until` then returns as soon as all have ended, or at the deadline,
//! when the rest are aborted and counted in the log. Whatever an aborted task left undone is
//! still in its outbox table and is picked up at the next start.

use std::future::Future;
use std::sync::Mutex;
use tokio::task::JoinSet;
use tokio::time::Instant;

#[derive(Default)]
pub struct Tasks {
    set: Mutex<JoinSet<&'static str>>,
}

impl Tasks {
    /// Runs `task` in the background under `name` (for the shutdown log).
    pub fn spawn(&self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        set.spawn(async move {
            task.await;
            name
        });
    }

    /// Waits for every task to end, at most until `deadline`; aborts what is left then. Returns
    /// how many had to be aborted.
    pub async fn wait_until(&self, deadline: Instant) -> usize {
        let mut set = {
            let mut guard = self.set.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *guard)
        };
        loop {
            match tokio::time::timeout_at(deadline, set.join_next()).await {
                Ok(None) => return 0,
                Ok(Some(Ok(name))) => tracing::debug!(task = name, "background task ended"),
                Ok(Some(Err(e))) if e.is_panic() => {
                    tracing::error!(error = %e, "a background task panicked")
                }
                Ok(Some(Err(_))) => {}
                Err(_) => {
                    let left = set.len();
                    set.abort_all();
                    tracing::warn!(
                        left,
                        "background tasks still busy at the end of the grace period; aborted"
                    );
                    return left;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_for_tasks_that_end_and_aborts_those_that_do_not() {
        let tasks = Tasks::default();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        tasks.spawn("quick", async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = done_tx.send(());
        });
        tasks.spawn("stuck", std::future::pending());
        let started = Instant::now();
        let aborted = tasks
            .wait_until(Instant::now() + Duration::from_millis(300))
            .await;
        assert_eq!(aborted, 1);
        assert!(done_rx.await.is_ok(), "the quick task finished its work");
        assert!(started.elapsed() >= Duration::from_millis(300));

        // Nothing left: returns at once.
        let started = Instant::now();
        assert_eq!(
            tasks
                .wait_until(Instant::now() + Duration::from_secs(5))
                .await,
            0
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
