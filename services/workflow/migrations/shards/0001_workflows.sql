-- Workflow definitions, their runs (durable state machines) and each step execution (ADR 0006).
CREATE TABLE workflows (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  project_id uuid NOT NULL,
  name text NOT NULL,
  -- Incremented on every change; a run records the version it started with.
  version integer NOT NULL DEFAULT 1,
  -- [{id, agentId, input, retry: {maxAttempts, backoffMs}, timeoutMs}]
  steps jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX workflows_tenant_project_name_key ON workflows (tenant_id, project_id, lower(name));
CREATE INDEX workflows_tenant_created_idx ON workflows (tenant_id, created_at DESC, id DESC);

CREATE TABLE workflow_runs (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  workflow_id uuid NOT NULL,
  project_id uuid NOT NULL,
  workflow_version integer NOT NULL,
  -- The definition's steps as they were when the run started: later edits do not reach it.
  steps jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
  input jsonb NOT NULL,
  -- 0 for the first attempt of the whole run, +1 per reset; executions keep theirs as history.
  generation integer NOT NULL DEFAULT 0,
  error text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_runs_tenant_created_idx ON workflow_runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX workflow_runs_tenant_workflow_idx ON workflow_runs (tenant_id, workflow_id, created_at DESC);
-- The scheduler: pending runs waiting for a concurrency slot, running runs counted against it.
CREATE INDEX workflow_runs_tenant_active_idx ON workflow_runs (tenant_id, status, created_at) WHERE status IN ('pending', 'running');

CREATE TABLE workflow_step_executions (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  run_id uuid NOT NULL,
  generation integer NOT NULL,
  step_index integer NOT NULL,
  step_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Claims of this execution (a crashed worker's included).
  attempts integer NOT NULL DEFAULT 0,
  -- Attempts the agent answered with an error. The agent's execution key is <id>/<failures>: a
  -- claim repeated after a crash replays the agent's recorded outcome, a retry after an error runs anew.
  failures integer NOT NULL DEFAULT 0,
  input jsonb,
  output jsonb,
  error text,
  -- When a pending execution may be claimed (now, or after a retry's backoff).
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- The worker holding a running execution, until when; an expired lease is claimed again.
  lease_owner text,
  lease_until timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, run_id, generation, step_index),
  FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_steps_tenant_claimable_idx ON workflow_step_executions (tenant_id, next_attempt_at) WHERE status IN ('pending', 'running');

-- The concurrent-run limit of each tenant's plan, as last seen when one of its runs was started
-- (workers have no caller to ask the org service with).
CREATE TABLE workflow_tenant_limits (
  tenant_id uuid NOT NULL,
  concurrent_runs integer NOT NULL CHECK (concurrent_runs > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['workflows', 'workflow_runs', 'workflow_step_executions', 'workflow_tenant_limits'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_setting(''app.tenant_id'')::uuid) WITH CHECK (tenant_id = current_setting(''app.tenant_id'')::uuid)', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bulkhead_app', t);
  END LOOP;
END $$;

-- The scheduler finds which tenants have work, in a transaction that set app.workflow_scheduler
-- and is no tenant's (withTenant always sets app.tenant_id); it reads, never writes, this way
-- and claims each tenant's work inside that tenant's own transaction (ADR 0006, like ADR 0005's relay).
CREATE POLICY scheduler_scan ON workflow_runs FOR SELECT
  USING (current_setting('app.workflow_scheduler', true) = 'on' AND coalesce(current_setting('app.tenant_id', true), '') = '');
CREATE POLICY scheduler_scan ON workflow_step_executions FOR SELECT
  USING (current_setting('app.workflow_scheduler', true) = 'on' AND coalesce(current_setting('app.tenant_id', true), '') = '');
