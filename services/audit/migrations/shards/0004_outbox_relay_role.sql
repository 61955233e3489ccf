-- Only the relay reads and deletes outbox rows, as a role of its own (ADR 0005). Before, the
-- service role could, outside a tenant transaction with app.audit_relay set: any service holding
-- it (a compromised one, an injected query) could delete audit events before they reached the
-- log. The role bulkhead_audit_relay is created with the others, by whoever provisions the
-- server (the devstack, the CloudNativePG manifests). The owner keeps reading the queue (it owns
-- the table and could lift row-level security anyway): tests inspect outboxes through it.
DROP POLICY relay_claim ON audit_outbox;
CREATE POLICY relay_claim ON audit_outbox TO bulkhead_audit_relay, CURRENT_USER
  USING (current_setting('app.audit_relay', true) = 'on' AND coalesce(current_setting('app.tenant_id', true), '') = '')
  WITH CHECK (false);
REVOKE SELECT, DELETE, UPDATE ON audit_outbox FROM bulkhead_app;
GRANT SELECT, DELETE ON audit_outbox TO bulkhead_audit_relay;
-- UPDATE only because SELECT … FOR UPDATE requires it; no policy lets a row change.
GRANT UPDATE (created_at) ON audit_outbox TO bulkhead_audit_relay;
