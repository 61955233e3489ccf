import type { IdentityDb } from '../identity-db';

export type RevokeReason = 'logout' | 'refresh_reuse' | 'membership_removed';

/** A refresh token presented for rotation, locked, with its session. */
export interface ClaimedRefreshToken {
  sessionId: string;
  userId: string;
  organizationId: string;
  usedAt: Date | null;
  sessionRevokedAt: Date | null;
  sessionExpiresAt: Date;
}

/** Sessions (refresh-token families) and their refresh tokens. */
export const sessionsRepository = {
  async createSession(
    db: IdentityDb,
    session: { id: string; userId: string; expiresAt: Date; clientIp: string | undefined; userAgent: string | undefined },
  ): Promise<void> {
    await db.query('INSERT INTO sessions (id, user_id, expires_at, client_ip, user_agent) VALUES ($1, $2, $3, $4, $5)', [
      session.id,
      session.userId,
      session.expiresAt,
      session.clientIp ?? null,
      session.userAgent ?? null,
    ]);
  },

  async insertRefreshToken(db: IdentityDb, token: { hash: Buffer; sessionId: string; organizationId: string }): Promise<void> {
    await db.query('INSERT INTO refresh_tokens (token_hash, session_id, organization_id) VALUES ($1, $2, $3)', [
      token.hash,
      token.sessionId,
      token.organizationId,
    ]);
  },

  /** Finds and locks a refresh token (concurrent uses of one token are serialised). */
  async claimRefreshToken(db: IdentityDb, hash: Buffer): Promise<ClaimedRefreshToken | undefined> {
    const { rows } = await db.query<{
      session_id: string;
      user_id: string;
      organization_id: string;
      used_at: Date | null;
      revoked_at: Date | null;
      expires_at: Date;
    }>(
      `SELECT t.session_id, s.user_id, t.organization_id, t.used_at, s.revoked_at, s.expires_at
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
       WHERE t.token_hash = $1 FOR UPDATE OF t, s`,
      [hash],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : {
          sessionId: row.session_id,
          userId: row.user_id,
          organizationId: row.organization_id,
          usedAt: row.used_at,
          sessionRevokedAt: row.revoked_at,
          sessionExpiresAt: row.expires_at,
        };
  },

  /** Marks every unused refresh token of the session used: only the one issued next is valid. */
  async retireRefreshTokens(db: IdentityDb, sessionId: string): Promise<void> {
    await db.query('UPDATE refresh_tokens SET used_at = now() WHERE session_id = $1 AND used_at IS NULL', [sessionId]);
  },

  /**
   * Revokes the live sessions whose current organization (that of their one valid refresh
   * token) is `organizationId`, only those of `userId` when given; answers their ids.
   */
  async revokeSessionsInOrganization(db: IdentityDb, organizationId: string, userId: string | undefined, reason: RevokeReason): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE sessions s SET revoked_at = now(), revoked_reason = $3
       WHERE s.revoked_at IS NULL AND ($2::uuid IS NULL OR s.user_id = $2::uuid)
         AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.used_at IS NULL AND t.organization_id = $1)
       RETURNING s.id`,
      [organizationId, userId ?? null, reason],
    );
    return rows.map((row) => row.id);
  },

  /** Revokes a session unless already revoked; true when this call revoked it. */
  async revokeSession(db: IdentityDb, sessionId: string, reason: RevokeReason): Promise<boolean> {
    const { rowCount } = await db.query(
      'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
      [sessionId, reason],
    );
    return (rowCount ?? 0) > 0;
  },
};
