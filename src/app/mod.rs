//! Composition root, and only that: reads the configuration, picks the implementations it names
//! (the SQLite store, the in-process hub behind `chat::Fanout`, the SFU behind
//! `media::MediaServer`, the embedding model), builds the services of `crate::service` on them,
//! connects the commit bus's subscribers, starts their background tasks on one
//! `service::tasks::Tasks`, serves HTTP until a signal, and shuts down in order within
//! `shutdown_grace_secs`: calls (recordings finalised), sockets (1001) and requests, then the
//! tracked tasks (turns in flight, then the coordinator, outbox attempts, transcript lines), then
//! the conversation rows. The only module that names concrete types. Beside it: what the command
//! line runs without a server (`admin`, `backup`, `transcribe_file`) and the start-up checks
//! (`semantic`, `fd_limit`).

pub mod admin;
pub mod backup;
pub mod fd_limit;
pub mod media_metrics;
pub mod semantic;
pub mod transcribe_file;
pub mod transcribe_metrics;

use crate::analysis::{AnalysisError, Analyzer};
use crate::assistant::AssistantError;
use crate::chat::{Fanout, Hub};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::service::credentials::{self, CredentialError, PasswordPolicy};
use crate::service::gateway::Gateway;
use crate::service::{
    analysis_gate, attachments, calls, canned, commit_bus, email, handoff, headers, login_throttle,
    preparation, review, sessions, sites, transcription, turns,
};
use crate::storage::journal::{CommitSink, Journal, JournalObserver};
use crate::storage::{self, StorageError, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use crate::service::RECORDINGS_DIR;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("analysis: {0}")]
    Analysis(#[from] AnalysisError),
    #[error("assistant: {0}")]
    Assistant(#[from] AssistantError),
    #[error("semantic layer: {0}")]
    Semantic(#[from] crate::embed::EmbedError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("e-mail: {0}")]
    Email(#[from] email::EmailServiceError),
    #[error("sites from the configuration file: {0}")]
    Sites(#[from] sites::SitesError),
    #[error("cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error("{0}")]
    Admin(String),
}

/// The assembled gateway, ready to serve.
pub struct App {
    pub config: Arc<Config>,
    pub gateway: Arc<Gateway>,
    pub store: Arc<dyn Store>,
    /// Background work shutdown waits for (outbox deliveries, review jobs).
    tasks: Arc<crate::service::tasks::Tasks>,
}

struct JournalMetrics(Arc<Metrics>);

impl JournalObserver for JournalMetrics {
    fn batch_committed(&self, writes: usize, seconds: f64) {
        self.0.journal_batch_writes.observe(writes as f64);
        self.0.journal_commit_seconds.observe(seconds);
    }
    fn batch_failed(&self) {
        self.0.journal_failures.inc();
    }
}

/// Opens the configured store, creating the data directory first.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, AppError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| AppError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    Ok(storage::open(&config.database_url(), config.storage.read_connections).await?)
}

pub fn password_policy(config: &Config) -> Result<PasswordPolicy, AppError> {
    Ok(PasswordPolicy::new(
        config.auth.argon2_memory_kib,
        config.auth.argon2_iterations,
    )?)
}

impl App {
    pub async fn build(config: Config) -> Result<Self, AppError> {
        let config = Arc::new(config);
        let store = open_store(&config).await?;
        let metrics = Arc::new(
            Metrics::new()
                .with_collector(Box::new(media_metrics::MediaCollector))
                .with_collector(Box::new(transcribe_metrics::TranscribeCollector)),
        );
        let hub = Arc::new(Hub::new());
        let headers = Arc::new(headers::HeaderCache::default());
        // Every background task runs on `tasks` and ends once `stopped` turns true (see
        // `serve`); shutdown waits for them within the grace.
        let (shutdown, stopped) = tokio::sync::watch::channel(false);
        let tasks = Arc::new(crate::service::tasks::Tasks::default());

        // Delivery: this node's hub, and in cluster mode NATS to the other nodes around it.
        let fanout: Arc<dyn Fanout> = match &config.cluster.nats {
            Some(url) => {
                let node = config
                    .cluster
                    .node_id
                    .clone()
                    .unwrap_or_else(|| format!("node-{}", uuid::Uuid::new_v4().simple()));
                tracing::info!(node, "cluster mode: fan-out between nodes over NATS");
                crate::cluster::NatsFanout::connect(
                    url,
                    node,
                    hub.clone(),
                    store.clone(),
                    std::time::Duration::from_millis(config.cluster.check_interval_ms),
                    stopped.clone(),
                )
                .await?
            }
            None => hub.clone(),
        };
        let (review_changed, review_queue) = tokio::sync::mpsc::unbounded_channel();
        // Every commit, once, in commit order: see `commit_bus` for what each subscriber does.
        let sink: CommitSink = commit_bus::CommitBus::default()
            .with(commit_bus::HeaderCacheUpdate(headers.clone()))
            .with(commit_bus::ReviewRecompute(review_changed))
            .with(commit_bus::ConversationFanout(fanout.clone()))
            .with(commit_bus::OfferFrames(hub.clone()))
            .with(commit_bus::Inboxes(fanout.clone()))
            .with(commit_bus::MessageMetrics(metrics.clone()))
            .into_sink();
        let observer = Arc::new(JournalMetrics(metrics.clone()));
        let (journal, _writer) =
            Journal::spawn(store.clone(), sink, observer, config.storage.max_batch);

        let embedder = semantic::load(&config)?;
        let (analyzer, assistant) = {
            let vectors = |label: &str,
                           texts: &[&str]|
             -> Option<Vec<crate::analysis::semantic::Embedding>> {
                let model = embedder.as_ref()?;
                let cache =
                    crate::embed::VectorCache::new(config.data_dir.join(semantic::VECTORS_DIR));
                match cache.vectors(label, texts, &**model) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::warn!(error = %e, label, "vectors not computed");
                        None
                    }
                }
            };
            let mut analyzer = Analyzer::new(&config.analysis)?;
            if let Some(model) = &embedder {
                if let Some(v) = vectors("intents", &analyzer.example_texts()) {
                    analyzer = analyzer.with_semantic(model.clone(), v);
                }
            }
            let analyzer = Arc::new(analyzer);
            let setup = embedder
                .clone()
                .map(|embedder| crate::assistant::SemanticSetup {
                    embedder,
                    vectors: &vectors,
                });
            let assistant = crate::assistant::build(&config.assistant, setup.as_ref())?;
            (analyzer, assistant)
        };
        let assistant_name = assistant
            .as_ref()
            .map(|_| config.assistant_name.trim().to_owned());
        let policy = Arc::new(
            crate::handoff::policy::EscalationPolicy::new(config.handoff.policy.clone())
                .with_intents(&config.analysis.intents),
        );
        // The coordinator stops after the turn worker, so the escalations the last turns decide
        // still reach it.
        let (turns_finished, after_turns) = tokio::sync::watch::channel(false);
        let handoff = config.handoff.enabled.then(|| {
            handoff::spawn(handoff::Deps {
                journal: journal.clone(),
                hub: hub.clone(),
                headers: headers.clone(),
                store: store.clone(),
                metrics: metrics.clone(),
                config: config.handoff.clone(),
                policy: policy.clone(),
                assistant: assistant.clone(),
                tasks: tasks.clone(),
                stop: after_turns,
            })
        });
        let preparation = Arc::new(preparation::Preparation::default());
        let turn_jobs = (assistant.is_some() || handoff.is_some()).then(|| {
            turns::spawn(turns::TurnDeps {
                assistant: assistant.clone(),
                store: store.clone(),
                journal: journal.clone(),
                metrics: metrics.clone(),
                policy: policy.clone(),
                handoff: handoff.clone(),
                preparation: preparation.clone(),
                messages: Arc::new(config.handoff.messages.clone()),
                writers: Arc::new(tokio::sync::Semaphore::new(turns::BRIEFING_WRITERS)),
                email_followups: config.email.enabled(),
                tasks: tasks.clone(),
                stop: stopped.clone(),
                finished: turns_finished,
            })
        });

        let mut audio_tap = None;
        let (media, call_events) = if config.media.enabled {
            let (sfu, events) = crate::media::sfu::Sfu::new(config.media.clone());
            let mut sfu = sfu.with_recordings(config.data_dir.join(RECORDINGS_DIR));
            let model = config.transcribe.model_path(&config.data_dir);
            if config.transcribe.enabled && model.is_file() {
                let (tapped, tap) = sfu.with_audio_tap(transcription::TAP_CAPACITY);
                sfu = tapped;
                audio_tap = Some(tap);
            } else if config.transcribe.enabled {
                // Calls work without it; the log says how to get the model.
                tracing::error!(
                    model = %model.display(),
                    "transcription is off: the model file is missing (`warmline models fetch` imports it)"
                );
            }
            let sfu: Arc<dyn crate::media::MediaServer> = Arc::new(sfu);
            (Some(sfu), Some(events))
        } else {
            (None, None)
        };
        let calls = Arc::new(calls::Calls::new(
            media,
            config.media.clone(),
            journal.clone(),
            tasks.clone(),
            stopped.clone(),
        ));
        calls.end_orphans(&*store).await;
        if let Some(tap) = audio_tap {
            let deps = transcription::Deps {
                store: store.clone(),
                journal: journal.clone(),
                analyzer: analyzer.clone(),
                recordings: config.data_dir.join(RECORDINGS_DIR),
                redactor: crate::review::Redactor::from_config(&config.review.redact),
                tasks: tasks.clone(),
                stop: stopped.clone(),
            };
            let model = config.transcribe.model_path(&config.data_dir);
            match transcription::Transcription::start(&config.transcribe, model, tap, deps).await {
                Ok(t) => calls.set_transcription(t),
                // The gateway serves chat and calls without it; the log says how to fix it.
                Err(e) => tracing::error!(error = %e, "transcription is off"),
            }
        }
        if let Some(events) = call_events {
            // Call events into the timeline, in the order the media server reports them.
            calls.record_events(store.clone(), events);
        }

        let attachments =
            attachments::Attachments::new(config.attachments.clone(), &config.data_dir);
        let review = review::Review::start(
            &config.review,
            review::Deps {
                store: store.clone(),
                journal: journal.clone(),
                assistant: assistant.clone(),
                recordings: config.data_dir.join(RECORDINGS_DIR),
                attachments: attachments.clone(),
            },
            review_queue,
            stopped.clone(),
            &tasks,
        );

        let decoy_policy = password_policy(&config)?;
        let decoy_hash = tokio::task::spawn_blocking(move || {
            decoy_policy.hash(&credentials::generate_password())
        })
        .await
        .map_err(|e| AppError::Admin(e.to_string()))??;

        sites::apply_config(&*store, &config.sites).await?;
        let sites = sites::SiteDirectory::load(store.clone()).await?;
        sites.spawn_refresh(&tasks, stopped.clone());
        let email = email::EmailService::new(&config)?;
        let gateway = Arc::new(Gateway {
            sites,
            email: email.clone(),
            returning: Default::default(),
            store: store.clone(),
            headers,
            shutdown,
            journal,
            fanout: fanout.clone(),
            analysis: analysis_gate::AnalysisGate::new(
                analyzer,
                std::time::Duration::from_millis(config.semantic.analysis_wait_ms),
                metrics.clone(),
            ),
            turn_jobs,
            assistant_name,
            handoff,
            preparation,
            calls,
            review,
            policy: policy.clone(),
            sessions: {
                let sessions = sessions::Sessions::new();
                sessions.spawn_watcher(store.clone(), &tasks, stopped.clone());
                sessions
            },
            verifier: credentials::BoundedVerifier::for_this_machine(),
            login_throttle: std::sync::Mutex::new(login_throttle::LoginThrottle::new(100_000)),
            decoy_hash,
            limits: config.limits.clone(),
            auth: config.auth.clone(),
            recordings: config.data_dir.join(RECORDINGS_DIR),
            attachments: attachments.clone(),
            metrics,
        });
        if let Some(service) = email {
            let mailer = crate::email::smtp::SmtpMailer::new(&config.email)
                .map_err(email::EmailServiceError::from)?;
            email::Delivery {
                service,
                mailer: Arc::new(mailer),
                store: store.clone(),
                hub: hub.clone(),
                metrics: gateway.metrics.clone(),
                assistant_name: config.assistant_name.trim().to_owned(),
            }
            .spawn(gateway.shutdown.subscribe(), &tasks);
        }
        Ok(Self {
            config,
            gateway,
            store,
            tasks,
        })
    }

    pub fn router(&self) -> axum::Router {
        crate::http::router(self.gateway.clone())
    }

    /// Binds the configured address (port 0 picks a free one).
    pub async fn bind(&self) -> Result<TcpListener, AppError> {
        let addr = self.config.listen;
        TcpListener::bind(addr)
            .await
            .map_err(|source| AppError::Listen { addr, source })
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        let limits = &self.config.limits;
        let options = crate::http::server::ServeOptions {
            header_read_timeout: std::time::Duration::from_secs(limits.header_read_timeout_secs),
            max_connections_per_ip: limits.max_connections_per_ip,
            max_open_connections: limits.max_http_connections,
            trusted_proxies: crate::http::client_ip::TrustedProxies::parse(&limits.trusted_proxies)
                .map_err(|e| AppError::Admin(e.to_string()))?,
            // What is left of the grace after the calls' share (below).
            drain: std::time::Duration::from_secs((self.config.shutdown_grace_secs / 3).max(1)),
        };
        fd_limit::raise_and_check(limits);
        if let (Some(email), Ok(addr)) = (&self.gateway.email, listener.local_addr()) {
            email.listening_on(self.config.base_url(addr));
        }
        let router = self.router();
        let gateway = self.gateway.clone();
        let grace = std::time::Duration::from_secs(self.config.shutdown_grace_secs);
        // When the signal came: the background tasks get what is left of the grace after the
        // calls and the requests.
        let began = Arc::new(std::sync::OnceLock::new());
        let began_at = began.clone();
        let shutdown = async move {
            shutdown.await;
            let _ = began_at.set(tokio::time::Instant::now());
            tracing::info!(grace_secs = grace.as_secs(), "shutting down");
            // Calls first, while their members' sockets are still open: they end as `shutdown`
            // (not as dropped connections) and their recordings are finalised and written.
            let unsettled = gateway.calls.shutdown("shutdown", grace * 2 / 3).await;
            // WebSocket sessions are not requests: tell them to close (1001), or they would
            // outlive us. HTTP requests in flight then get the rest of the grace. The same signal
            // tells the background tasks to stop after the work in hand.
            gateway.begin_shutdown();
            tracing::info!(
                unsettled_calls = unsettled,
                "calls ended; closing connections"
            );
        };
        let store = self.store.clone();
        let served =
            crate::http::server::serve(listener, router, options, Default::default(), shutdown)
                .await
                .map_err(AppError::Serve);
        // The background tasks end after the work in hand (`service::tasks`): the turns in
        // flight, then the coordinator's step; the outbox deliveries finish the attempt in flight
        // and record it (a webhook or e-mail sent twice is what a cut attempt would cost); live
        // transcription stores the lines of the audio it has; review jobs, pollers and the
        // after-call transcript in hand stop at once (redone at the next start).
        self.gateway.begin_shutdown();
        let deadline = began
            .get()
            .copied()
            .unwrap_or_else(tokio::time::Instant::now)
            + grace;
        self.tasks.wait_until(deadline).await;
        // Every acknowledged write is already committed; write the conversation rows the journal
        // keeps for its next periodic flush, so the next start reads them as they are.
        if let Err(e) = store.flush().await {
            tracing::error!(error = %e, "flushing conversation rows at shutdown failed");
        }
        tracing::info!("stopped");
        served
    }
}

/// A gateway serving in the background (tests, benchmarks): its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), AppError>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, waits for the server task to end.
    pub async fn stop(mut self) -> Result<(), AppError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .map_err(|e| AppError::Admin(e.to_string()))?
    }
}

/// Builds and starts a gateway in the background.
pub async fn start(config: Config) -> Result<Running, AppError> {
    let app = App::build(config).await?;
    let listener = app.bind().await?;
    let addr = listener.local_addr().map_err(AppError::Serve)?;
    let store = app.store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        addr,
        store,
        stop: Some(stop),
        task,
    })
}
