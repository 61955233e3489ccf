-- The global identity database, owned by the auth service. Not tenant-sharded: a person may
-- belong to several organizations. Secrets are stored only as hashes (passwords: Argon2id;
-- refresh tokens and API keys: SHA-256 of 256-bit random values) or sealed (signing keys).

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- The organizations identity knows of: id and name. The org service owns the profile (on the
-- tenant's shard); this row exists so memberships and tokens can name the tenant.
CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer', 'auditor')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, created_at);

-- A login session: one refresh-token family. Switching organizations stays in the session.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'membership_removed')),
  client_ip text,
  user_agent text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Every refresh token a session was given. Only the newest unused one is valid; presenting a
-- used one revokes the session.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  project_id uuid,
  name text NOT NULL,
  prefix text NOT NULL,
  secret_hash bytea NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer', 'auditor')),
  scopes text[] NOT NULL DEFAULT '{}',
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id, id DESC);

-- Ed25519 keys that sign access tokens. The private JWK is sealed with AES-256-GCM under the
-- SIGNING_KEY_ENCRYPTION_KEY from configuration; the public JWK is what JWKS publishes.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  private_jwk_sealed text NOT NULL,
  public_jwk jsonb NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON users, organizations, memberships, sessions, refresh_tokens, api_keys, signing_keys TO bulkhead_app;
