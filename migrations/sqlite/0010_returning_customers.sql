-- Returning customers: a verified customer's conversations, found by the id their site vouched for
-- (`site:sub`). Only verified customers get a key: an anonymous visitor can claim any id, so their
-- conversations are never linked. The customer is fixed when a conversation is created, so the key
-- is set once, on insert, by trigger: no write path has to remember it.
ALTER TABLE conversations ADD COLUMN verified_customer TEXT;

UPDATE conversations
   SET verified_customer = json_extract(header, '$.customer.id')
 WHERE CASE WHEN json_valid(header) THEN json_extract(header, '$.customer.verified') END = 1;

CREATE TRIGGER conversations_verified_customer AFTER INSERT ON conversations
  -- CASE, not AND: SQLite does not promise to skip json_extract on text that is not JSON.
  WHEN CASE WHEN json_valid(NEW.header) THEN json_extract(NEW.header, '$.customer.verified') END = 1
BEGIN
  UPDATE conversations
     SET verified_customer = json_extract(NEW.header, '$.customer.id')
   WHERE key = NEW.key;
END;

CREATE INDEX conversations_by_verified_customer
    ON conversations (verified_customer, created_at DESC)
 WHERE verified_customer IS NOT NULL;
