-- The outbox payload is written once, read once as text and deleted: nothing queries inside it.
-- As jsonb it was parsed into the binary form on every insert (in the writer's transaction) and
-- printed back to text on every claim; as json it is checked and stored as it was sent, and the
-- relay produces the very text the service wrote.
ALTER TABLE audit_outbox ALTER COLUMN payload TYPE json USING payload::json;
