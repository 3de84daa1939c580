-- E-mail outbox: every e-mail the gateway owes a customer, written in the same transaction as the
-- event that causes it (an agent's reply in a conversation waiting as an e-mail follow-up, or the
-- customer asking for the transcript), and delivered by a background task with retries. Nothing is
-- lost if the gateway stops before sending: a pending row is picked up again at the next start.
--
-- A reply row is a batch: replies committed while the row has had no attempt extend it
-- (`last_seq`, `last_at`), so a burst of agent messages becomes one e-mail. Its messages are the
-- agent messages with `first_seq <= seq <= last_seq`; a transcript row covers the conversation up
-- to `last_seq`.
CREATE TABLE email_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,                   -- 'reply' | 'transcript'
    recipient       TEXT NOT NULL,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    first_at        INTEGER NOT NULL,                -- unix milliseconds
    last_at         INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- 'pending' | 'sent' | 'failed' | 'skipped'
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,                         -- NULL: as soon as the batch is due
    last_error      TEXT,
    finished_at     INTEGER
);
CREATE INDEX email_outbox_pending ON email_outbox (state, next_attempt_at);
CREATE INDEX email_outbox_conversation ON email_outbox (conversation_id, kind, state);
