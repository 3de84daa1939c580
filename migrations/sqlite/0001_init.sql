-- Conversations: a JSON snapshot of the projected header next to queryable columns.
CREATE TABLE conversations (
    key          INTEGER PRIMARY KEY, -- compact key the event log is indexed by
    id           TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    skill        TEXT NOT NULL,
    header       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    last_seq     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL, -- unix milliseconds
    updated_at   INTEGER NOT NULL
);
CREATE INDEX conversations_by_update ON conversations (updated_at DESC);

-- The per-conversation event log; `body` is the event exactly as served on the wire.
CREATE TABLE events (
    pos             INTEGER PRIMARY KEY, -- commit order: rows are appended, not scattered
    conversation_key INTEGER NOT NULL REFERENCES conversations (key),
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    ts              INTEGER NOT NULL,
    client_id       TEXT,
    body            TEXT NOT NULL
);
CREATE UNIQUE INDEX events_by_conversation ON events (conversation_key, seq);
-- Resends are deduplicated against recent `client_id`s (see storage::sqlite::RecentKeys), read by
-- the (conversation_key, seq) index, so no index over all client ids is kept.

CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    username        TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('agent', 'manager')),
    password_hash   TEXT NOT NULL,
    skills          TEXT NOT NULL, -- JSON array
    languages       TEXT NOT NULL, -- JSON array
    max_concurrent  INTEGER NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- Bearer credentials of every kind, stored as SHA-256 of the secret.
CREATE TABLE tokens (
    hash             TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('staff', 'customer', 'bot')),
    id               TEXT NOT NULL UNIQUE, -- public id, for listing and revoking
    user_id          TEXT REFERENCES users (id),
    conversation_id  TEXT REFERENCES conversations (id),
    name             TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER,
    revoked_at       INTEGER
);
CREATE INDEX tokens_by_user ON tokens (user_id);
