-- Agents of each tenant, their encrypted credentials, knowledge-base documents (full-text
-- searched passages) and invocations. RLS as every shard table (DESIGN "Isolation, in depth").
-- btree_gin lets the passages' full-text index lead with tenant_id like every other index.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE agents (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('http', 'transform', 'knowledge-qa')),
  config jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'disabled')),
  -- AES-256-GCM under the tenant's data key (iv | tag | ciphertext); never returned.
  credentials_sealed bytea,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX agents_tenant_name_key ON agents (tenant_id, lower(name));
CREATE INDEX agents_tenant_created_idx ON agents (tenant_id, created_at DESC, id DESC);

-- Each tenant's data key, wrapped (AES-256-GCM) by the master key from configuration.
CREATE TABLE agent_data_keys (
  tenant_id uuid NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE agent_documents (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  agent_id uuid NOT NULL,
  title text NOT NULL,
  passages integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_documents_tenant_agent_idx ON agent_documents (tenant_id, agent_id, created_at DESC, id DESC);

CREATE TABLE agent_passages (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  agent_id uuid NOT NULL,
  document_id uuid NOT NULL,
  position integer NOT NULL,
  content text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES agent_documents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_passages_tenant_tsv_idx ON agent_passages USING gin (tenant_id, tsv);
CREATE INDEX agent_passages_tenant_document_idx ON agent_passages (tenant_id, document_id);

CREATE TABLE agent_invocations (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  agent_id uuid NOT NULL,
  -- A workflow step execution's key: a repeat returns this invocation instead of running again.
  execution_key text,
  input jsonb NOT NULL,
  output jsonb,
  error text,
  duration_ms integer NOT NULL,
  invoked_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX agent_invocations_tenant_execution_key ON agent_invocations (tenant_id, agent_id, execution_key) WHERE execution_key IS NOT NULL;
CREATE INDEX agent_invocations_tenant_agent_idx ON agent_invocations (tenant_id, agent_id, created_at DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agents', 'agent_data_keys', 'agent_documents', 'agent_passages', 'agent_invocations'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_setting(''app.tenant_id'')::uuid) WITH CHECK (tenant_id = current_setting(''app.tenant_id'')::uuid)', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bulkhead_app', t);
  END LOOP;
END $$;
