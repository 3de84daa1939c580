//! Group commit. Every durable write goes through one writer task that drains whatever writes are
//! waiting (up to `max_batch`), commits them in one transaction, hands each committed event to the
//! `on_commit` sink in commit order, and only then answers the callers. Throughput comes from
//! sharing one fsync among many writes, never from weakening durability.
//!
//! Because one task commits and publishes, events of a conversation reach `on_commit` in `seq`
//! order, which the fan-out relies on.

use super::{Result, StorageError, Store, WriteOp, WriteOutcome};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tracing::{error, Instrument};

/// How often derived conversation rows are brought up to date (`Store::flush`).
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Called with each committed write, in commit order, before callers are answered.
pub type CommitSink = Arc<dyn Fn(&WriteOutcome) + Send + Sync>;

type Request = (WriteOp, oneshot::Sender<Result<WriteOutcome>>);

/// Observations of the writer, for metrics.
pub trait JournalObserver: Send + Sync {
    fn batch_committed(&self, writes: usize, seconds: f64);
    fn batch_failed(&self);
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::Sender<Request>,
}

impl Journal {
    /// Starts the writer. It stops when every `Journal` handle is dropped, after committing what
    /// was already queued.
    pub fn spawn(
        store: Arc<dyn Store>,
        on_commit: CommitSink,
        observer: Arc<dyn JournalObserver>,
        max_batch: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Request>(max_batch.saturating_mul(8).max(64));
        let task = tokio::spawn(
            writer(store, rx, on_commit, observer, max_batch.max(1))
                .instrument(tracing::info_span!("journal")),
        );
        (Self { tx }, task)
    }

    /// Queues one write behind every write queued before it and returns at once; the receiver
    /// answers when it is durable (or failed). Writes submitted one after another by the same
    /// task commit in that order, so a caller can queue a whole sequence without waiting.
    pub async fn submit(&self, op: WriteOp) -> Result<Pending> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .await
            .map_err(|_| StorageError::WriterGone)?;
        Ok(Pending(answer))
    }

    /// Commits one write; returns once it is durable (or failed).
    pub async fn write(&self, op: WriteOp) -> Result<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .await
            .map_err(|_| StorageError::WriterGone)?;
        answer.await.map_err(|_| StorageError::WriterGone)?
    }
}

/// A submitted write; await `outcome` for its commit.
pub struct Pending(oneshot::Receiver<Result<WriteOutcome>>);

impl Pending {
    pub async fn outcome(self) -> Result<WriteOutcome> {
        self.0.await.map_err(|_| StorageError::WriterGone)?
    }
}

async fn writer(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Request>,
    on_commit: CommitSink,
    observer: Arc<dyn JournalObserver>,
    max_batch: usize,
) {
    let mut ops = Vec::with_capacity(max_batch);
    let mut replies = Vec::with_capacity(max_batch);
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let first = tokio::select! {
            // Writes first: a flush never delays a waiting caller by more than one batch.
            biased;
            req = rx.recv() => match req {
                Some(r) => r,
                None => break,
            },
            _ = flush.tick() => {
                if let Err(e) = store.flush().await {
                    error!(error = %e, "flushing conversation rows failed");
                }
                continue;
            }
        };
        ops.push(first.0);
        replies.push(first.1);
        while ops.len() < max_batch {
            match rx.try_recv() {
                Ok((op, reply)) => {
                    ops.push(op);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        let n = ops.len();
        let started = std::time::Instant::now();
        match store.apply_batch(std::mem::take(&mut ops)).await {
            Ok(outcomes) => {
                observer.batch_committed(n, started.elapsed().as_secs_f64());
                for outcome in &outcomes {
                    if matches!(outcome, WriteOutcome::Committed { .. }) {
                        on_commit(outcome);
                    }
                }
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                // Nothing of the batch is committed; every caller learns it, none is acknowledged.
                observer.batch_failed();
                error!(error = %e, writes = n, "batch commit failed");
                let msg = e.to_string();
                let full = e.is_disk_trouble();
                for reply in replies.drain(..) {
                    let err = if full {
                        StorageError::Full(msg.clone())
                    } else {
                        StorageError::CommitFailed(msg.clone())
                    };
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
    if let Err(e) = store.flush().await {
        error!(error = %e, "final flush of conversation rows failed");
    }
}
