-- Staff search over message text (chat and transcribed voice): a full-text index keyed by the
-- event's position in the log, filled by a trigger as messages are appended and once here for
-- what is already stored. The log is append-only; the delete trigger keeps the index honest if
-- rows are ever removed.
CREATE VIRTUAL TABLE message_text USING fts5 (content, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER message_text_insert AFTER INSERT ON events WHEN new.type = 'message' BEGIN
    INSERT INTO message_text (rowid, content)
    VALUES (new.pos, coalesce(json_extract(new.body, '$.message.content'), ''));
END;

CREATE TRIGGER message_text_delete AFTER DELETE ON events WHEN old.type = 'message' BEGIN
    DELETE FROM message_text WHERE rowid = old.pos;
END;

INSERT INTO message_text (rowid, content)
SELECT pos, coalesce(json_extract(body, '$.message.content'), '') FROM events WHERE type = 'message';

-- A conversation's current tags are in its latest `tags_changed` event.
CREATE INDEX events_tags_changed ON events (conversation_key, seq) WHERE type = 'tags_changed';
