-- Open sockets are closed when their token ends; the gateway asks for tokens revoked or expired
-- since its last look, so both moments are indexed.
CREATE INDEX tokens_by_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_by_expires_at ON tokens (expires_at) WHERE expires_at IS NOT NULL;

-- Lists page by (updated_at, id), per status for the inbox's "needs a person" part: a flood of
-- new conversations must not push the queue out of reach.
CREATE INDEX conversations_by_update_id ON conversations (updated_at DESC, id DESC);
CREATE INDEX conversations_by_status_update ON conversations (status, updated_at DESC, id DESC);
