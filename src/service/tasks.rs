//! The gateway's background tasks, so shutdown can wait for them: the long-lived workers (turns,
//! the handoff coordinator, the call events, live and after-call transcription, the webhook and
//! e-mail outboxes, review recomputation, retention, the session and site pollers) and the short
//! jobs they start (a turn, a coordinator's reply, a briefing rewrite, a call's timers).
//!
//! Contract: a task spawned here must end by itself once the gateway's stop signal turns true
//! (`stopped`), after finishing the unit of work in flight (one turn, one coordinator step, one
//! webhook attempt, one e-mail round) and recording its outcome; `wait_until` then returns as
//! soon as all have ended, or at the deadline, when the rest are aborted and counted in the log.
//! Whatever an aborted task left undone is still in the log or its outbox table and is picked up
//! at the next start. Finished tasks are reaped as new ones are spawned, so short jobs may be
//! spawned here for the life of the process.

use std::future::Future;
use std::sync::Mutex;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

#[derive(Default)]
pub struct Tasks {
    set: Mutex<JoinSet<&'static str>>,
}

impl Tasks {
    /// Runs `task` in the background under `name` (for the shutdown log).
    pub fn spawn(&self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(done) = set.try_join_next() {
            if let Err(e) = done {
                failed(e);
            }
        }
        set.spawn(async move {
            task.await;
            name
        });
    }

    /// Tasks not yet known to have ended.
    pub fn len(&self) -> usize {
        self.set.lock().map_or(0, |s| s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for every task to end, at most until `deadline`; aborts what is left then. Tasks
    /// spawned meanwhile (a stopping worker's last jobs) are waited for too. Returns how many
    /// had to be aborted.
    pub async fn wait_until(&self, deadline: Instant) -> usize {
        loop {
            let mut set = {
                let mut guard = self.set.lock().unwrap_or_else(|p| p.into_inner());
                std::mem::take(&mut *guard)
            };
            if set.is_empty() {
                return 0;
            }
            loop {
                match tokio::time::timeout_at(deadline, set.join_next()).await {
                    Ok(None) => break,
                    Ok(Some(Ok(name))) => tracing::debug!(task = name, "background task ended"),
                    Ok(Some(Err(e))) => failed(e),
                    Err(_) => {
                        let left = set.len() + self.abort_all();
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

    /// Aborts the tasks spawned since `wait_until` took its set; returns how many.
    fn abort_all(&self) -> usize {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        let left = set.len();
        set.abort_all();
        left
    }
}

fn failed(e: JoinError) {
    if e.is_panic() {
        tracing::error!(error = %e, "a background task panicked");
    }
}

/// Resolves once `stop` turns true, or its sender is gone (nobody is left to say so).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Runs `task` until it ends or `stop` turns true (dropping it then), for work that is redone or
/// pointless after a restart.
pub async fn until_stopped(mut stop: watch::Receiver<bool>, task: impl Future<Output = ()>) {
    tokio::select! {
        () = stopped(&mut stop) => {}
        () = task => {}
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

    #[tokio::test]
    async fn finished_tasks_are_reaped_and_late_spawns_are_waited_for() {
        let tasks = std::sync::Arc::new(Tasks::default());
        for _ in 0..100 {
            tasks.spawn("short", async {});
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        tasks.spawn("one more", async {});
        assert!(tasks.len() <= 2, "{} kept", tasks.len());

        // A task that starts another one while shutdown waits: both are waited for.
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let spawner = tasks.clone();
        tasks.spawn("spawner", async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            spawner.spawn("late", async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = done_tx.send(());
            });
        });
        let aborted = tasks
            .wait_until(Instant::now() + Duration::from_secs(5))
            .await;
        assert_eq!(aborted, 0);
        assert!(done_rx.await.is_ok(), "the late task ran to its end");
    }

    #[tokio::test]
    async fn until_stopped_ends_at_the_signal_or_when_nobody_can_send_it() {
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(until_stopped(rx.clone(), std::future::pending()));
        tx.send_replace(true);
        assert!(tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .is_ok());
        let task = tokio::spawn(until_stopped(rx, std::future::pending()));
        drop(tx);
        assert!(tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .is_ok());
    }
}
