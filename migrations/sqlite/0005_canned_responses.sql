-- Canned responses: replies agents insert in the composer by typing their shortcut (`/refund`),
-- with fields such as `{customer}` filled in. Managers keep them; each change is audited.
CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY NOT NULL,
    shortcut   TEXT NOT NULL UNIQUE,      -- lowercase [a-z0-9-]{1,32}, without the slash
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,             -- at most 4 KB, checked by the gateway
    created_by TEXT NOT NULL,             -- user id
    updated_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,          -- unix milliseconds
    updated_at INTEGER NOT NULL
);
