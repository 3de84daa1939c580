//! Whisper workers on dedicated OS threads behind two bounded queues.
//!
//! Contract:
//! - `workers` threads each own a `Recognizer`; inference never runs on the async runtime.
//! - Live utterances (`try_live`) go first. When `live_queue` of them already wait, a new one is
//!   refused at once (`PoolError::Full`) so the caller can count the drop; live audio is never
//!   allowed to pile up behind a slow machine.
//! - Batch utterances (`batch`) wait for room (back-pressure) and run when no live work waits,
//!   so an after-call transcript never delays what people are saying now.
//! - Dropping every `Pool` handle closes the queues; workers finish the jobs already queued
//!   and exit.

use super::engine::{EngineError, Model, Recognized, Recognizer, RecognizerOptions};
use super::stats;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Batch utterances queued per worker before `batch` waits.
const BATCH_PER_WORKER: usize = 4;

/// Why an utterance was not recognised.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("live transcription is behind; utterance dropped from the live path")]
    Full,
    #[error("transcription workers have stopped")]
    Closed,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// What a worker did with an utterance, with its timings.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub recognized: Recognized,
    /// Time waiting for a worker.
    pub queued: Duration,
    /// Inference time.
    pub busy: Duration,
}

type Reply = oneshot::Sender<Result<Done, PoolError>>;

struct Job {
    samples: Vec<f32>,
    prompt: Option<String>,
    reply: Reply,
    queued_at: Instant,
    _room: Option<OwnedSemaphorePermit>,
}

#[derive(Default)]
struct Queues {
    live: VecDeque<Job>,
    batch: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queues: Mutex<Queues>,
    wake: Condvar,
    live_capacity: usize,
    batch_room: Arc<Semaphore>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Closes the queues when the last `Pool` handle goes.
struct Closer(Arc<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.wake.notify_all();
        self.0.batch_room.close();
    }
}

/// A handle on the workers; clone freely.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
    _closer: Arc<Closer>,
    workers: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers)
            .finish()
    }
}

impl Pool {
    /// Starts `workers` threads over `model`. Fails if a worker's state cannot be created.
    pub fn start(
        model: Arc<Model>,
        workers: usize,
        options: RecognizerOptions,
        live_capacity: usize,
    ) -> Result<Self, EngineError> {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues::default()),
            wake: Condvar::new(),
            live_capacity: live_capacity.max(1),
            batch_room: Arc::new(Semaphore::new(workers * BATCH_PER_WORKER)),
        });
        for i in 0..workers {
            let recognizer = Recognizer::new(model.clone(), options.clone())?;
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("whisper-{i}"))
                .spawn(move || work(shared, recognizer))
                .map_err(|e| EngineError::Whisper(format!("worker thread: {e}")))?;
        }
        Ok(Self {
            _closer: Arc::new(Closer(shared.clone())),
            shared,
            workers,
        })
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Queues a live utterance, or refuses it at once when the live queue is full.
    pub fn try_live(
        &self,
        samples: Vec<f32>,
        prompt: Option<String>,
    ) -> Result<oneshot::Receiver<Result<Done, PoolError>>, PoolError> {
        let (reply, rx) = oneshot::channel();
        let mut q = self.shared.lock();
        if q.closed {
            return Err(PoolError::Closed);
        }
        if q.live.len() >= self.shared.live_capacity {
            stats::LIVE_DROPPED.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Full);
        }
        q.live.push_back(Job {
            samples,
            prompt,
            reply,
            queued_at: Instant::now(),
            _room: None,
        });
        drop(q);
        self.shared.wake.notify_one();
        Ok(rx)
    }

    /// Recognises a batch utterance, waiting for room in the queue first.
    pub async fn batch(
        &self,
        samples: Vec<f32>,
        prompt: Option<String>,
    ) -> Result<Done, PoolError> {
        let room = self
            .shared
            .batch_room
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PoolError::Closed)?;
        let (reply, rx) = oneshot::channel();
        {
            let mut q = self.shared.lock();
            if q.closed {
                return Err(PoolError::Closed);
            }
            q.batch.push_back(Job {
                samples,
                prompt,
                reply,
                queued_at: Instant::now(),
                _room: Some(room),
            });
        }
        self.shared.wake.notify_one();
        rx.await.map_err(|_| PoolError::Closed)?
    }

    /// Live utterances waiting now.
    pub fn live_waiting(&self) -> usize {
        self.shared.lock().live.len()
    }
}

fn work(shared: Arc<Shared>, mut recognizer: Recognizer) {
    loop {
        let (job, live) = {
            let mut q = shared.lock();
            loop {
                if let Some(j) = q.live.pop_front() {
                    break (j, true);
                }
                if let Some(j) = q.batch.pop_front() {
                    break (j, false);
                }
                if q.closed {
                    return;
                }
                q = shared.wake.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        if job.reply.is_closed() {
            continue;
        }
        let started = Instant::now();
        let queued = started - job.queued_at;
        let result = recognizer.recognize(&job.samples, job.prompt.as_deref());
        let busy = started.elapsed();
        stats::record(live, &job.samples, busy);
        let _ = job.reply.send(
            result
                .map(|recognized| Done {
                    recognized,
                    queued,
                    busy,
                })
                .map_err(PoolError::from),
        );
    }
}
