-- One event per (tenant, seq), enforced by the database and not only by the chain-head lock
-- (audit_events' primary key must include the partition key, so it cannot say this); and the
-- verifier's lookup of the event id at a given seq.
CREATE UNIQUE INDEX audit_event_ids_tenant_seq ON audit_event_ids (tenant_id, seq);
