-- The reviewer API lists a tenant's events newest first, filtered by actor, action, resource or
-- outcome: one index per filter, each led by tenant_id and ending in the listing order
-- (occurred_at DESC, seq DESC), so a filtered page (and its keyset continuation) reads only the
-- rows it returns. A time range alone uses audit_events_tenant_time.
CREATE INDEX audit_events_tenant_actor ON audit_events (tenant_id, actor_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_tenant_action ON audit_events (tenant_id, action, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_tenant_resource ON audit_events (tenant_id, resource_type, resource_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_tenant_outcome ON audit_events (tenant_id, outcome, occurred_at DESC, seq DESC);
