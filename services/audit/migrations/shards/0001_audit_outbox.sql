-- The transactional outbox of audit events (DESIGN "Audit pipeline"; ADR 0005): a service writes
-- the event row in the same transaction as the change it describes; the audit service's relay
-- claims rows (FOR UPDATE SKIP LOCKED), produces them to the audit topic and deletes them.
CREATE TABLE audit_outbox (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  -- The wire envelope {v, event}, produced as it is.
  payload jsonb NOT NULL,
  -- clock_timestamp, not now(): the relay's order follows the insert, not the transaction's start.
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_outbox_tenant_created_idx ON audit_outbox (tenant_id, created_at);

ALTER TABLE audit_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_outbox FORCE ROW LEVEL SECURITY;
-- A tenant's unit of work may only add its own events; it can never read, change or delete them.
CREATE POLICY tenant_insert ON audit_outbox FOR INSERT
  WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
-- The relay sees every tenant's rows, only in a transaction that set app.audit_relay and is not a
-- tenant's (withTenant always sets app.tenant_id); it never writes rows.
CREATE POLICY relay_claim ON audit_outbox
  USING (current_setting('app.audit_relay', true) = 'on' AND coalesce(current_setting('app.tenant_id', true), '') = '')
  WITH CHECK (false);
-- UPDATE only because SELECT … FOR UPDATE requires it (on one column suffices); no policy lets a row change.
GRANT SELECT, INSERT, DELETE ON audit_outbox TO bulkhead_app;
GRANT UPDATE (created_at) ON audit_outbox TO bulkhead_app;
