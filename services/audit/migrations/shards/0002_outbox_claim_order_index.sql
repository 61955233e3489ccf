-- The relay claims the oldest rows first (ORDER BY created_at, id LIMIT n). Without an index in
-- that order, every claim scanned and sorted the whole outbox, dead rows included: a backlog of
-- n rows cost O(n) per batch, so draining it cost O(n²). The (tenant_id, created_at) index
-- served no query.
DROP INDEX audit_outbox_tenant_created_idx;
CREATE INDEX audit_outbox_claim_order_idx ON audit_outbox (created_at, id);
