-- The Postgres store (cluster mode): the same tables as the SQLite store's migrations 0001-0010,
-- in one step. Times are unix milliseconds (BIGINT), structured values JSON text (served as
-- stored, byte for byte), so both stores share their encoding (`storage::codec`).

CREATE TABLE conversations (
    key               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- what the log is indexed by
    id                TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL,
    skill             TEXT NOT NULL,
    header            TEXT NOT NULL,
    summary           TEXT NOT NULL,
    -- The per-conversation sequence counter: read and advanced under the row's lock, in the
    -- transaction that appends, so seq stays gap-free and in commit order across nodes.
    last_seq          BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    verified_customer TEXT
);
CREATE INDEX conversations_by_update_id ON conversations (updated_at DESC, id DESC);
CREATE INDEX conversations_by_status_update ON conversations (status, updated_at DESC, id DESC);
CREATE INDEX conversations_by_verified_customer ON conversations (verified_customer, created_at DESC)
    WHERE verified_customer IS NOT NULL;

CREATE TABLE events (
    pos              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order
    conversation_key BIGINT NOT NULL REFERENCES conversations (key),
    seq              BIGINT NOT NULL,
    type             TEXT NOT NULL,
    ts               BIGINT NOT NULL,
    client_id        TEXT,
    body             TEXT NOT NULL,
    -- Message text for staff search (`simple`: no stemming, every language alike).
    words            TSVECTOR GENERATED ALWAYS AS (
        CASE WHEN type = 'message'
             THEN to_tsvector('simple', coalesce((body::jsonb) -> 'message' ->> 'content', ''))
        END) STORED
);
CREATE UNIQUE INDEX events_by_conversation ON events (conversation_key, seq);
-- A resend is stored once across nodes, whatever the writers' caches know.
CREATE UNIQUE INDEX events_by_client_id ON events (conversation_key, client_id)
    WHERE client_id IS NOT NULL;
CREATE INDEX events_call_artifacts ON events (type, conversation_key)
    WHERE type IN ('recording_ready', 'transcript_ready', 'recordings_deleted');
CREATE INDEX events_tags_changed ON events (conversation_key, seq) WHERE type = 'tags_changed';
CREATE INDEX events_words ON events USING GIN (words) WHERE type = 'message';

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('agent', 'manager')),
    password_hash   TEXT NOT NULL,
    skills          TEXT NOT NULL, -- JSON array
    languages       TEXT NOT NULL, -- JSON array
    max_concurrent  BIGINT NOT NULL,
    disabled        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash            TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('staff', 'customer', 'bot')),
    id              TEXT NOT NULL UNIQUE, -- public id, for listing and revoking
    user_id         TEXT REFERENCES users (id),
    conversation_id TEXT REFERENCES conversations (id),
    name            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE INDEX tokens_by_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_by_expires_at ON tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE handoffs (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
    escalated_at    BIGINT NOT NULL,
    resolved_at     BIGINT,
    agent_id        TEXT,
    skill           TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    context_score   DOUBLE PRECISION NOT NULL,
    repeat_asks     BIGINT NOT NULL,
    metrics         TEXT NOT NULL
);
CREATE INDEX handoffs_by_time ON handoffs (escalated_at DESC);
CREATE INDEX handoffs_by_agent ON handoffs (agent_id, escalated_at DESC);
CREATE INDEX handoffs_by_skill ON handoffs (skill, escalated_at DESC);
CREATE INDEX handoffs_by_trigger ON handoffs (trigger, escalated_at DESC);

CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    user_id         TEXT NOT NULL,
    username        TEXT NOT NULL,
    action          TEXT NOT NULL,
    conversation_id TEXT,
    detail          TEXT NOT NULL,
    ip              TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_log (at DESC);

CREATE TABLE webhook_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY,
    shortcut   TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sites (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    origins                  TEXT NOT NULL, -- JSON array of normalised origins
    secret                   TEXT NOT NULL,
    color                    TEXT,
    greeting                 TEXT,
    conversations_per_minute BIGINT NOT NULL DEFAULT 0,
    created_at               BIGINT NOT NULL
);

CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    message_id      TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('image', 'pdf', 'text')),
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    width           BIGINT,
    height          BIGINT,
    thumbnail_type  TEXT,
    created_at      BIGINT NOT NULL,
    deleted_at      BIGINT,
    deleted_reason  TEXT
);
CREATE INDEX attachments_by_conversation ON attachments (conversation_id, created_at);
CREATE INDEX attachments_on_disk_by_age ON attachments (created_at) WHERE deleted_at IS NULL;

CREATE TABLE email_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,                   -- 'reply' | 'transcript'
    recipient       TEXT NOT NULL,
    first_seq       BIGINT NOT NULL,
    last_seq        BIGINT NOT NULL,
    first_at        BIGINT NOT NULL,
    last_at         BIGINT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- 'pending' | 'sent' | 'failed' | 'skipped'
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error      TEXT,
    finished_at     BIGINT
);
CREATE INDEX email_outbox_pending ON email_outbox (state, next_attempt_at);
CREATE INDEX email_outbox_conversation ON email_outbox (conversation_id, kind, state);
