-- The compliance log: every tenant's audit events, append-only, each tenant's events forming
-- a hash chain (hash = sha256(prev_hash || canonicalJson(event)), seq contiguous from 1).
-- Applied as the owner role; the service connects as bulkhead_app, which may only INSERT and
-- SELECT the log. Triggers refuse UPDATE, DELETE and TRUNCATE even to the owner.

-- Refuses every change to an appended row: the log is append-only for everyone.
CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the compliance log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TABLE audit_events (
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  outcome text NOT NULL,
  request_id text,
  trace_id text,
  ip text,
  user_agent text,
  -- The event exactly as validated from the wire; the chain hashes canonicalJson(event).
  event jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (tenant_id, seq, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, occurred_at DESC, seq DESC);

-- Rows of a month without its partition (far past or future timestamps, or a service that did
-- not run for months) land here rather than failing the batch.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;

-- Row triggers on the partitioned table are cloned to every partition; TRUNCATE triggers are
-- per table, so each partition gets its own (see audit_ensure_partitions).
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Monthly partitions: creates audit_events_YYYYMM for every month from `from_month` to
-- `from_month + months - 1` that does not exist yet. SECURITY DEFINER so the service (which has
-- no DDL rights) can call it at start and daily to keep the coming months ready; it runs as the
-- owner, with a fixed search_path, and does nothing but create these partitions.
CREATE FUNCTION audit_ensure_partitions(from_month timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  created integer := 0;
  first_day timestamptz;
  partition_name text;
BEGIN
  IF months < 1 OR months > 24 THEN
    RAISE EXCEPTION 'months must be 1 to 24, not %', months;
  END IF;
  FOR i IN 0 .. months - 1 LOOP
    first_day := date_trunc('month', from_month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => i);
    partition_name := 'audit_events_' || to_char(first_day AT TIME ZONE 'UTC', 'YYYYMM');
    CONTINUE WHEN to_regclass(partition_name) IS NOT NULL;
    -- A month whose rows already sit in the default partition cannot get its own partition
    -- (PostgreSQL refuses); they stay in the default, which the chain reads like any other.
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM audit_events_default
      WHERE occurred_at >= first_day AND occurred_at < first_day + interval '1 month'
    );
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
      partition_name, first_day, first_day + interval '1 month'
    );
    EXECUTE format(
      'CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()',
      partition_name
    );
    created := created + 1;
  END LOOP;
  RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION audit_ensure_partitions(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_partitions(timestamptz, integer) TO bulkhead_app;

-- The current month ± 2 at migration time; the service keeps the next months ready.
SELECT audit_ensure_partitions(now() - interval '2 months', 5);

-- Every event id ever logged, so a redelivered event is dropped (exactly once in the log).
CREATE TABLE audit_event_ids (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL
);
CREATE TRIGGER audit_event_ids_append_only BEFORE UPDATE OR DELETE ON audit_event_ids
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_event_ids_no_truncate BEFORE TRUNCATE ON audit_event_ids
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Each tenant's last link: seq 0 and 64 zeros (the genesis) before its first event.
CREATE TABLE audit_chain_heads (
  tenant_id uuid PRIMARY KEY,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash text NOT NULL
);

GRANT INSERT, SELECT ON audit_events, audit_event_ids TO bulkhead_app;
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO bulkhead_app;
