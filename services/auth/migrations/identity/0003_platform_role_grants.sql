-- Platform roles (DESIGN "Tenancy model"): a user holds one across every organization. Granted
-- and revoked ONLY by operators running tools/platform-admin with the owner credentials: the
-- service role can read grants (to put them in access tokens) and nothing more, so no API
-- route can grant one. A row is never deleted: revoking stamps revoked_at/revoked_by, so the
-- table is the record of every grant and revocation and who made it.
CREATE TABLE platform_role_grants (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('compliance')),
  granted_by text NOT NULL CHECK (granted_by <> ''),
  granted_at timestamptz NOT NULL DEFAULT now(),
  revoked_by text CHECK (revoked_by <> ''),
  revoked_at timestamptz,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- At most one live grant of a role per user; the look-up at every token issue uses it.
CREATE UNIQUE INDEX platform_role_grants_live_key ON platform_role_grants (user_id, role) WHERE revoked_at IS NULL;

GRANT SELECT ON platform_role_grants TO bulkhead_app;
