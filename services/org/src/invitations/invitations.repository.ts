import type { TenantTx } from '@bulkhead/database';
import type { OrgRole } from '@bulkhead/permissions';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InvitationRecord {
  id: string;
  email: string;
  role: OrgRole;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  acceptedBy: string | null;
  revokedAt: Date | null;
}

type Row = {
  id: string;
  email: string;
  role: OrgRole;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
};

const COLUMNS = 'id, email, role, created_by, created_at, expires_at, accepted_at, accepted_by, revoked_at';

const toRecord = (row: Row): InvitationRecord => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  acceptedAt: row.accepted_at,
  acceptedBy: row.accepted_by,
  revokedAt: row.revoked_at,
});

/** Where an invitation stands at `now`: accepted and revoked are final, expiry applies to the rest. */
export function statusOf(invitation: InvitationRecord, now: Date): InvitationStatus {
  if (invitation.acceptedAt !== null) return 'accepted';
  if (invitation.revokedAt !== null) return 'revoked';
  return invitation.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

/** The list's sort key: newest first by creation time, then id. */
export interface InvitationPosition {
  createdAt: Date;
  id: string;
}

const OPEN = 'accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2';

/** Invitations of one tenant; the token itself is never stored, only its SHA-256. */
export const invitationsRepository = {
  async insert(tx: TenantTx, invitation: Omit<InvitationRecord, 'acceptedAt' | 'acceptedBy' | 'revokedAt'> & { tokenHash: Buffer }): Promise<InvitationRecord> {
    const { rows } = await tx.query<Row>(
      `INSERT INTO invitations (tenant_id, id, email, role, token_hash, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [tx.tenantId, invitation.id, invitation.email, invitation.role, invitation.tokenHash, invitation.createdBy, invitation.createdAt, invitation.expiresAt],
    );
    return toRecord(rows[0] as Row);
  },

  /** Open (neither accepted nor revoked) and unexpired invitations at `now`. */
  async countPending(tx: TenantTx, now: Date): Promise<number> {
    const { rows } = await tx.query<{ count: string }>(`SELECT count(*) AS count FROM invitations WHERE tenant_id = $1 AND ${OPEN}`, [tx.tenantId, now]);
    return Number(rows[0]?.count ?? 0);
  },

  async findPendingByEmail(tx: TenantTx, email: string, now: Date): Promise<InvitationRecord | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM invitations WHERE tenant_id = $1 AND ${OPEN} AND email = $3 LIMIT 1`, [tx.tenantId, now, email]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  /** Newest first, continuing after `after`; fetches `limit` rows. */
  async list(tx: TenantTx, limit: number, after: InvitationPosition | undefined): Promise<InvitationRecord[]> {
    const { rows } = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM invitations
       WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [tx.tenantId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toRecord);
  },

  /** The invitation, locked until the transaction ends. */
  async findForUpdate(tx: TenantTx, id: string): Promise<InvitationRecord | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM invitations WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tx.tenantId, id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  /** The invitation with this token hash, locked until the transaction ends. */
  async findByTokenHashForUpdate(tx: TenantTx, tokenHash: Buffer): Promise<InvitationRecord | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM invitations WHERE tenant_id = $1 AND token_hash = $2 FOR UPDATE`, [tx.tenantId, tokenHash]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  async markRevoked(tx: TenantTx, id: string, now: Date): Promise<void> {
    await tx.query('UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2', [tx.tenantId, id, now]);
  },

  async markAccepted(tx: TenantTx, id: string, userId: string, now: Date): Promise<void> {
    await tx.query('UPDATE invitations SET accepted_at = $3, accepted_by = $4 WHERE tenant_id = $1 AND id = $2', [tx.tenantId, id, now, userId]);
  },
};
