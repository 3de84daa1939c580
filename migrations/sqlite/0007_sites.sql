-- Sites: websites that embed the chat widget. The id is public (it is in the snippet); the secret
-- signs the host's identity tokens (HS256), so it is kept as is, like any shared signing key, and
-- shown once when the site is created or its secret rotated.
CREATE TABLE sites (
    id                       TEXT PRIMARY KEY NOT NULL,
    name                     TEXT NOT NULL,
    origins                  TEXT NOT NULL,   -- JSON array of normalised origins
    secret                   TEXT NOT NULL,
    color                    TEXT,
    greeting                 TEXT,
    conversations_per_minute INTEGER NOT NULL DEFAULT 0,
    created_at               INTEGER NOT NULL -- unix milliseconds
);
