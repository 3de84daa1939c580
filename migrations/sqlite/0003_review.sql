-- Handoff review: the latest figures of each conversation's handoff, with the columns the review
-- list filters and sorts by next to the full JSON (`metrics`, a `HandoffMetrics`).
CREATE TABLE handoffs (
    conversation_id TEXT PRIMARY KEY NOT NULL REFERENCES conversations (id),
    escalated_at    INTEGER NOT NULL, -- unix milliseconds
    resolved_at     INTEGER,
    agent_id        TEXT,
    skill           TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    context_score   REAL NOT NULL,
    repeat_asks     INTEGER NOT NULL,
    metrics         TEXT NOT NULL
);
CREATE INDEX handoffs_by_time ON handoffs (escalated_at DESC);
CREATE INDEX handoffs_by_agent ON handoffs (agent_id, escalated_at DESC);
CREATE INDEX handoffs_by_skill ON handoffs (skill, escalated_at DESC);
CREATE INDEX handoffs_by_trigger ON handoffs (trigger, escalated_at DESC);

-- Every manager access to review data and recordings. Append-only.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    user_id         TEXT NOT NULL,
    username        TEXT NOT NULL,
    action          TEXT NOT NULL,
    conversation_id TEXT,
    detail          TEXT NOT NULL,
    ip              TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_log (at DESC);

-- Webhook deliveries waiting or done: written before the first attempt, so a restart retries what
-- was not delivered.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- The retention job looks for recordings not yet deleted; index that event type too.
DROP INDEX events_call_artifacts;
CREATE INDEX events_call_artifacts ON events (type, conversation_key)
    WHERE type IN ('recording_ready', 'transcript_ready', 'recordings_deleted');
