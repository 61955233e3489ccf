import type { ApiKeyRole } from '@bulkhead/permissions';
import type { IdentityDb } from '../identity-db';

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  projectId: string | null;
  name: string;
  prefix: string;
  role: ApiKeyRole;
  scopes: string[];
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type Row = {
  id: string;
  organization_id: string;
  project_id: string | null;
  name: string;
  prefix: string;
  role: ApiKeyRole;
  scopes: string[];
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS = 'id, organization_id, project_id, name, prefix, role, scopes, created_by, created_at, expires_at, last_used_at, revoked_at';

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  organizationId: row.organization_id,
  projectId: row.project_id,
  name: row.name,
  prefix: row.prefix,
  role: row.role,
  scopes: row.scopes,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

/** API keys; every query but the secret lookup is scoped to one organization. */
export const apiKeysRepository = {
  async insert(db: IdentityDb, key: Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'> & { secretHash: Buffer }): Promise<ApiKeyRecord> {
    const { rows } = await db.query<Row>(
      `INSERT INTO api_keys (id, organization_id, project_id, name, prefix, secret_hash, role, scopes, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [key.id, key.organizationId, key.projectId, key.name, key.prefix, key.secretHash, key.role, key.scopes, key.createdBy, key.expiresAt],
    );
    return toRecord(rows[0] as Row);
  },

  /** Newest first (ids are UUID v7), continuing below `beforeId`; fetches `limit` rows. */
  async list(db: IdentityDb, organizationId: string, limit: number, beforeId: string | undefined): Promise<ApiKeyRecord[]> {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM api_keys WHERE organization_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid)
       ORDER BY id DESC LIMIT $3`,
      [organizationId, beforeId ?? null, limit],
    );
    return rows.map(toRecord);
  },

  async find(db: IdentityDb, organizationId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE organization_id = $1 AND id = $2`, [organizationId, id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  /** Sets `revoked_at` once; answers the key as it is now, or undefined when the org has no such key. */
  /**
   * Revokes the key unless it is already; `revokedNow` is true only for the transaction that
   * revoked it (a concurrent one waits on the row and then finds the earlier time kept).
   */
  async revoke(db: IdentityDb, organizationId: string, id: string): Promise<{ key: ApiKeyRecord; revokedNow: boolean } | undefined> {
    const { rows } = await db.query<Row & { revoked_now: boolean }>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE organization_id = $1 AND id = $2
       RETURNING ${COLUMNS}, revoked_at = now() AS revoked_now`,
      [organizationId, id],
    );
    return rows[0] === undefined ? undefined : { key: toRecord(rows[0]), revokedNow: rows[0].revoked_now };
  },

  /** The usable key with this secret hash (not revoked, not expired), stamping its last use. */
  async useBySecretHash(db: IdentityDb, secretHash: Buffer): Promise<ApiKeyRecord | undefined> {
    const { rows } = await db.query<Row>(
      `UPDATE api_keys SET last_used_at = now()
       WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
       RETURNING ${COLUMNS}`,
      [secretHash],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },
};
