-- Tenancy: organizations get a platform-wide unique slug (their subdomain), and tenants can be
-- pinned to a shard other than the one their id hashes to (after a move).

ALTER TABLE organizations ADD COLUMN slug text;
UPDATE organizations SET slug = 'org-' || replace(id::text, '-', '') WHERE slug IS NULL;
ALTER TABLE organizations ALTER COLUMN slug SET NOT NULL;
ALTER TABLE organizations ADD CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$');
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- Placement overrides: read by every sharded service (SELECT only), written by the tenant-move tool.
CREATE TABLE tenant_placements (
  tenant_id uuid PRIMARY KEY,
  shard_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_placements TO bulkhead_app;
