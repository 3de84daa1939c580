-- Finds calls whose recording is ready but whose after-call transcript is not, so a restart can
-- resume the transcription. Only these two event types are indexed.
CREATE INDEX events_call_artifacts ON events (type, conversation_key)
    WHERE type IN ('recording_ready', 'transcript_ready');
