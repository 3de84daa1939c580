//! Calls transcribed, wired: the media server's audio tap feeds live transcription, whose
//! utterances become `voice` messages of the call's conversation (with sentiment and intent, like
//! any message); after each call its microphone recordings are transcribed in full and stored as
//! the staff-only `transcript_ready` event.
//!
//! Contract:
//! - Live lines are committed before anyone sees them (they go through the journal like chat).
//! - An utterance the live path dropped (workers behind) is still in the after-call transcript.
//! - Calls whose recording is ready but whose transcript is not (a restart mid-job) are
//!   transcribed again at start: the after-call queue is the log's, so nothing in it is lost.
//! - At shutdown (`Deps::stop`) the audio already tapped is still transcribed and its lines
//!   stored; the after-call job in hand is dropped and, with the rest of the queue, redone at the
//!   next start (a long Whisper job is not worth holding a restart for).
//! - Whisper runs only on the pool's threads; this module only moves data and writes events.

use crate::analysis::Analyzer;
use crate::domain::{
    Channel, ConversationHeader, ConversationId, EventBody, Message, ParticipantId,
    ParticipantKind, RecordingSource, Speaker, TranscriptSegment, TranscriptSource, VoiceSegment,
};
use crate::media::signal::AudioChunk;
use crate::service::tasks::{stopped, Tasks};
use crate::storage::journal::Journal;
use crate::storage::{Store, WriteOp};
use crate::transcribe::engine::{Model, RecognizerOptions};
use crate::transcribe::file::transcribe_file;
use crate::transcribe::live::{self, LiveAudio, LiveSegment, Prompts, SpeakerKey};
use crate::transcribe::pool::Pool;
use crate::transcribe::vad::VadConfig;
use crate::transcribe::TranscribeConfig;
use chrono::Utc;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn, Instrument};

/// Decoded audio chunks (20 ms each) queued between the media server and live transcription.
pub const TAP_CAPACITY: usize = 2_048;
/// Calls whose after-call transcript waits for its turn.
const AFTER_CALL_QUEUE: usize = 256;
/// How long an ended call stays known, for its speakers' last words.
const ENDED_GRACE: Duration = Duration::from_secs(60);

struct KnownCall {
    conversation: ConversationId,
    ended: Option<Instant>,
}

/// An after-call transcription to do.
#[derive(Debug, Clone)]
struct AfterCall {
    conversation: ConversationId,
    call_id: String,
}

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub journal: Journal,
    pub analyzer: Arc<Analyzer>,
    pub recordings: PathBuf,
    /// Card numbers, e-mail addresses and phone numbers never reach the stored transcript.
    pub redactor: crate::review::Redactor,
    /// Where the live and after-call workers run (tracked, so shutdown waits for them).
    pub tasks: Arc<Tasks>,
    /// Turns true when the gateway shuts down (after the calls have ended).
    pub stop: watch::Receiver<bool>,
}

/// Live and after-call transcription of calls.
pub struct Transcription {
    deps: Deps,
    pool: Pool,
    vad: VadConfig,
    prompts: Prompts,
    terms: Vec<String>,
    calls: Mutex<HashMap<String, KnownCall>>,
    after_call: Option<mpsc::Sender<AfterCall>>,
}

impl Transcription {
    /// Loads the model and starts the workers, live transcription over `tap`, and (when
    /// configured) the after-call jobs, resuming any a previous run left unfinished.
    pub async fn start(
        config: &TranscribeConfig,
        model_path: PathBuf,
        tap: mpsc::Receiver<AudioChunk>,
        deps: Deps,
    ) -> Result<Arc<Self>, crate::transcribe::engine::EngineError> {
        let path = model_path.clone();
        let model = tokio::task::spawn_blocking(move || Model::load(&path))
            .await
            .map_err(|e| crate::transcribe::engine::EngineError::Whisper(e.to_string()))??;
        let options = RecognizerOptions {
            threads: config.threads_per_worker,
            language: config.language.clone(),
            fit_context: true,
        };
        let pool = Pool::start(model, config.workers, options, config.live_queue)?;
        info!(
            model = %model_path.display(),
            workers = config.workers,
            threads_per_worker = config.threads_per_worker,
            "transcription ready"
        );
        let (after_tx, after_rx) = mpsc::channel(AFTER_CALL_QUEUE);
        let this = Arc::new(Self {
            deps,
            pool: pool.clone(),
            vad: config.vad.clone(),
            prompts: Prompts::default(),
            terms: config.prompt_terms.clone(),
            calls: Mutex::new(HashMap::new()),
            after_call: config.after_call.then_some(after_tx),
        });

        // At shutdown the tap's forwarder ends first; live transcription then finishes what it
        // holds and ends, and the lines it produced are stored before `store_live` ends.
        let (audio_tx, audio_rx) = mpsc::channel::<LiveAudio>(TAP_CAPACITY);
        let tasks = &this.deps.tasks;
        tasks.spawn(
            "audio tap",
            forward_tap(tap, audio_tx, this.deps.stop.clone()),
        );
        let (seg_tx, seg_rx) = mpsc::channel::<LiveSegment>(256);
        tasks.spawn(
            "live transcription",
            live::run(
                audio_rx,
                config.vad.clone(),
                pool,
                this.prompts.clone(),
                seg_tx,
            )
            .instrument(tracing::info_span!("live_transcription")),
        );
        tasks.spawn("live transcript lines", this.clone().store_live(seg_rx));
        if config.after_call {
            tasks.spawn(
                "after-call transcripts",
                this.clone()
                    .run_after_call(after_rx, this.deps.stop.clone()),
            );
            this.resume().await;
        }
        Ok(this)
    }

    /// A call started in `header`'s conversation: its lines belong there, and the recogniser is
    /// told the customer's name and the product's vocabulary.
    pub fn call_started(&self, call_id: &str, header: &ConversationHeader) {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).insert(
            call_id.to_owned(),
            KnownCall {
                conversation: header.conversation_id.clone(),
                ended: None,
            },
        );
        if let Some(prompt) = self.prompt_for(header) {
            self.prompts.set(call_id, prompt);
        }
    }

    /// The call ended; its speakers' last words may still arrive for a while.
    pub fn call_ended(&self, call_id: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(c) = calls.get_mut(call_id) {
            c.ended = Some(now);
        }
        let stale: Vec<String> = calls
            .iter()
            .filter(|(_, c)| c.ended.is_some_and(|t| now - t > ENDED_GRACE))
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            calls.remove(&id);
            self.prompts.forget(&id);
        }
    }

    /// The call's recording is ready: queue its after-call transcript.
    pub fn recording_ready(&self, conversation: &ConversationId, call_id: &str) {
        let Some(tx) = &self.after_call else { return };
        let job = AfterCall {
            conversation: conversation.clone(),
            call_id: call_id.to_owned(),
        };
        if tx.try_send(job).is_err() {
            // Not lost: the next start finds it through `calls_awaiting_transcript`.
            warn!(conversation_id = %conversation, call_id, "after-call queue full; transcript deferred to the next start");
        }
    }

    fn prompt_for(&self, header: &ConversationHeader) -> Option<String> {
        let mut words: Vec<String> = self.terms.clone();
        if let Some(name) = header
            .customer
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            words.push(name.to_owned());
        }
        (!words.is_empty()).then(|| format!("{}.", words.join(", ")))
    }

    fn conversation_of(&self, call_id: &str) -> Option<ConversationId> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .map(|c| c.conversation.clone())
    }

    async fn store_live(self: Arc<Self>, mut rx: mpsc::Receiver<LiveSegment>) {
        while let Some(seg) = rx.recv().await {
            let Some(conversation) = self.conversation_of(&seg.key.call_id) else {
                warn!(call_id = %seg.key.call_id, "transcript line for an unknown call dropped");
                continue;
            };
            let header = match self.deps.store.header(&conversation).await {
                Ok(Some(h)) => h,
                _ => continue,
            };
            let Some((speaker, agent)) = speaker_of(&header, &seg.key.participant_id) else {
                continue;
            };
            let text = self.deps.redactor.redact(&seg.text).into_owned();
            let mut message = Message::new(speaker, text, Utc::now());
            message.channel = Channel::Voice;
            message.agent_id = agent;
            let analysis = self.deps.analyzer.analyze(&message.content);
            message.set_sentiment(analysis.sentiment);
            message.intent = Some(analysis.intent.name.clone());
            message.voice = Some(VoiceSegment {
                call_id: seg.key.call_id.clone(),
                participant_id: seg.key.participant_id.clone(),
                start_ms: seg.start_ms,
                end_ms: seg.end_ms,
                confidence: f64::from(seg.confidence),
                source: TranscriptSource::Live,
            });
            let op = WriteOp::Append {
                conversation_id: conversation.clone(),
                body: EventBody::Message {
                    message,
                    routing_skill: None,
                },
                client_id: Some(format!(
                    "voice-{}-{}-{}",
                    seg.key.call_id, seg.key.participant_id, seg.start_ms
                )),
                at: Utc::now(),
            };
            if let Err(e) = self.deps.journal.write(op).await {
                warn!(conversation_id = %conversation, error = %e, "transcript line not stored");
            }
        }
    }

    async fn resume(&self) {
        let Some(tx) = &self.after_call else { return };
        match self.deps.store.calls_awaiting_transcript().await {
            Ok(pending) => {
                if !pending.is_empty() {
                    info!(calls = pending.len(), "resuming after-call transcripts");
                }
                for (conversation, call_id) in pending {
                    if tx
                        .try_send(AfterCall {
                            conversation,
                            call_id,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            }
            Err(e) => warn!(error = %e, "could not look for unfinished transcripts"),
        }
    }

    /// Transcribes the queued calls one after another until the gateway stops. The job in hand
    /// then and those queued are left to the next start, which finds them in the log
    /// (`calls_awaiting_transcript`: a recording without its transcript).
    async fn run_after_call(
        self: Arc<Self>,
        mut rx: mpsc::Receiver<AfterCall>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let job = tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                job = rx.recv() => match job {
                    Some(job) => job,
                    None => return,
                },
            };
            let span = tracing::info_span!("after_call_transcript", conversation_id = %job.conversation, call_id = %job.call_id);
            tokio::select! {
                biased;
                () = stopped(&mut stop) => {
                    info!(conversation_id = %job.conversation, call_id = %job.call_id, "after-call transcript left for the next start");
                    break;
                }
                done = self.after_call_job(&job).instrument(span) => {
                    if let Err(e) = done {
                        warn!(conversation_id = %job.conversation, call_id = %job.call_id, error = %e, "after-call transcript failed");
                    }
                }
            }
        }
        rx.close();
        let mut left = 0;
        while rx.try_recv().is_ok() {
            left += 1;
        }
        if left > 0 {
            info!(
                calls = left,
                "after-call transcripts queued; the next start resumes them"
            );
        }
    }

    async fn after_call_job(&self, job: &AfterCall) -> Result<(), String> {
        let header = self
            .deps
            .store
            .header(&job.conversation)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("conversation is gone")?;
        let Some(call) = header.calls.iter().find(|c| c.call_id == job.call_id) else {
            return Err("call is not in its conversation".into());
        };
        if call.transcript_segments.is_some() {
            return Ok(());
        }
        let started = Instant::now();
        let prompt = self.prompt_for(&header);
        let mut segments = Vec::new();
        let mut audio_ms = 0;
        for file in call
            .recordings
            .iter()
            .filter(|f| f.source == RecordingSource::Microphone)
        {
            let Some(pid) = &file.participant_id else {
                continue;
            };
            let Some((speaker, _)) = speaker_of(&header, pid) else {
                continue;
            };
            let name = header
                .participants
                .iter()
                .find(|p| &p.id == pid)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let Some(path) = file.under(&self.deps.recordings) else {
                warn!(path = %file.path, "recording path outside the recordings directory skipped");
                continue;
            };
            let transcript = transcribe_file(&self.pool, &path, &self.vad, prompt.clone(), |_| {})
                .await
                .map_err(|e| format!("{}: {e}", file.path))?;
            audio_ms += transcript.audio_ms;
            segments.extend(transcript.segments.into_iter().map(|l| TranscriptSegment {
                participant_id: pid.clone(),
                speaker,
                name: name.clone(),
                start_ms: file.offset_ms + l.start_ms,
                end_ms: file.offset_ms + l.end_ms,
                text: self.deps.redactor.redact(&l.text).into_owned(),
                confidence: f64::from(l.confidence),
            }));
        }
        segments.sort_by_key(|s| (s.start_ms, s.end_ms));
        let lines = segments.len();
        let op = WriteOp::Append {
            conversation_id: job.conversation.clone(),
            body: EventBody::TranscriptReady {
                call_id: job.call_id.clone(),
                segments,
                audio_ms,
            },
            client_id: Some(format!("transcript-{}", job.call_id)),
            at: Utc::now(),
        };
        self.deps
            .journal
            .write(op)
            .await
            .map_err(|e| e.to_string())?;
        info!(
            lines,
            audio_ms,
            seconds = started.elapsed().as_secs_f64(),
            "after-call transcript stored"
        );
        Ok(())
    }
}

/// Who a call member is in the conversation, as a message speaker (and their account).
fn speaker_of(
    header: &ConversationHeader,
    participant: &ParticipantId,
) -> Option<(Speaker, Option<crate::domain::UserId>)> {
    let p = header.participants.iter().find(|p| &p.id == participant)?;
    Some(match p.kind {
        ParticipantKind::Customer => (Speaker::Customer, None),
        ParticipantKind::Agent => (Speaker::Agent, p.user_id.clone()),
        ParticipantKind::Ai => (Speaker::Ai, None),
    })
}

/// The media server's decoded audio, as live transcription's input, until the gateway stops
/// (what is tapped by then is passed on; dropping `out` then ends live transcription).
async fn forward_tap(
    mut tap: mpsc::Receiver<AudioChunk>,
    out: mpsc::Sender<LiveAudio>,
    mut stop: watch::Receiver<bool>,
) {
    let live = |chunk: AudioChunk| LiveAudio {
        key: SpeakerKey {
            call_id: chunk.call_id,
            participant_id: chunk.participant_id,
        },
        start_ms: chunk.start_ms,
        samples: chunk.samples,
    };
    loop {
        let chunk = tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            chunk = tap.recv() => match chunk {
                Some(chunk) => chunk,
                None => return,
            },
        };
        if out.send(live(chunk)).await.is_err() {
            return;
        }
    }
    for _ in 0..tap.len() {
        let Ok(chunk) = tap.try_recv() else { break };
        if out.send(live(chunk)).await.is_err() {
            return;
        }
    }
}
