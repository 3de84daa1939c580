-- Files attached to messages (screenshots, logs, PDFs). The bytes are on disk under
-- <data_dir>/attachments/<conversationId>/<id> (an image's thumbnail beside it as <id>.thumb);
-- the row is what the gateway knows of them: the conversation and message they belong to, who
-- sent them, what they are (the type sniffed from the bytes, size, SHA-256), and when their files
-- were deleted (retention). The message in the log carries the same description.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY NOT NULL,   -- att_ + 32 hex digits
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    message_id      TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,               -- `customer:<conversation>`, `agent:<username>`, `bot:<name>`
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('image', 'pdf', 'text')),
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    width           INTEGER,
    height          INTEGER,
    thumbnail_type  TEXT,                        -- the thumbnail file's media type; NULL: none
    created_at      INTEGER NOT NULL,            -- unix milliseconds
    deleted_at      INTEGER,
    deleted_reason  TEXT
);
CREATE INDEX attachments_by_conversation ON attachments (conversation_id, created_at);
-- What retention looks at: files still on disk, oldest first.
CREATE INDEX attachments_on_disk_by_age ON attachments (created_at) WHERE deleted_at IS NULL;
