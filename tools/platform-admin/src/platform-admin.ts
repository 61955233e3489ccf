import { parseArgs } from 'node:util';
import { PLATFORM_LOG_TENANT_ID, recordIdentityAuditEvent } from '@bulkhead/audit';
import { uuidv7, withTransaction } from '@bulkhead/database';
import { isPlatformRole, PLATFORM_ROLES, type PlatformRole } from '@bulkhead/permissions';
import type { Pool, PoolClient } from 'pg';

/** What the operator asked for. */
export type AdminCommand =
  | { kind: 'grant' | 'revoke'; role: PlatformRole; email: string; operator: string }
  | { kind: 'list'; includeRevoked: boolean };

export const USAGE = `usage:
  npm run platform-admin -- grant <role> <email> --by <operator>
  npm run platform-admin -- revoke <role> <email> --by <operator>
  npm run platform-admin -- list [--all]
roles: ${PLATFORM_ROLES.join(', ')}
environment: IDENTITY_DATABASE_OWNER_URL (the identity database's OWNER role; operators only)`;

/** A command line that cannot be run; the message says why, then the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `argv` (after the script name) into a command, or throws {@link UsageError}. */
export function parseAdminArgs(argv: readonly string[]): AdminCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { by: { type: 'string' }, all: { type: 'boolean' } } });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const [kind, role, email, ...extra] = parsed.positionals;
  if (kind === 'list') {
    if (role !== undefined || parsed.values.by !== undefined) throw new UsageError('list takes no role, email or --by');
    return { kind, includeRevoked: parsed.values.all === true };
  }
  if (kind !== 'grant' && kind !== 'revoke') throw new UsageError(`unknown command ${JSON.stringify(kind ?? '')}: use grant, revoke or list`);
  if (role === undefined || !isPlatformRole(role)) throw new UsageError(`unknown role ${JSON.stringify(role ?? '')}: one of ${PLATFORM_ROLES.join(', ')}`);
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new UsageError(`${kind} needs the user's email, got ${JSON.stringify(email ?? '')}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (parsed.values.all === true) throw new UsageError('--all is for list only');
  const operator = parsed.values.by?.trim() ?? '';
  if (operator === '') throw new UsageError(`${kind} needs --by <operator>: who is making this change (it is recorded)`);
  return { kind, role, email, operator };
}

/** A failure the operator must act on (unknown user, nothing to revoke): exit status 1. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
}

async function userIdOf(db: Pick<Pool, 'query'>, email: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
  const id = rows[0]?.id;
  if (id === undefined) throw new AdminError(`no user has the email ${email}`);
  return id;
}

/**
 * Records a grant or revocation, in the same transaction, in the platform's own log and in the
 * log of every organization the user belongs to (its members act under that role there too).
 */
async function recordRoleChange(
  db: PoolClient,
  change: { action: 'platform_role.granted' | 'platform_role.revoked'; userId: string; role: PlatformRole; operator: string; grantId: string },
): Promise<void> {
  const { rows } = await db.query<{ organization_id: string }>('SELECT organization_id FROM memberships WHERE user_id = $1 ORDER BY organization_id', [change.userId]);
  for (const tenantId of [PLATFORM_LOG_TENANT_ID, ...rows.map((row) => row.organization_id)]) {
    await recordIdentityAuditEvent(db, {
      tenantId,
      actor: { type: 'platform', id: change.operator },
      action: change.action,
      resource: { type: 'user', id: change.userId },
      outcome: 'success',
      metadata: { role: change.role, grantId: change.grantId },
    });
  }
}

/**
 * Runs `command` against the identity database (connected as its owner) and prints one line per
 * change or grant. Every grant and revocation is recorded in `platform_role_grants` itself
 * (granted_by/at, revoked_by/at; rows are never deleted), in the audit log (see
 * {@link recordRoleChange}), and printed.
 */
export async function runAdminCommand(pool: Pool, command: AdminCommand, print: (line: string) => void): Promise<void> {
  if (command.kind === 'list') {
    const { rows } = await pool.query<{ email: string; role: string; granted_by: string; granted_at: Date; revoked_by: string | null; revoked_at: Date | null }>(
      `SELECT u.email, g.role, g.granted_by, g.granted_at, g.revoked_by, g.revoked_at
       FROM platform_role_grants g JOIN users u ON u.id = g.user_id
       WHERE $1 OR g.revoked_at IS NULL ORDER BY g.granted_at, g.id`,
      [command.includeRevoked],
    );
    for (const row of rows) {
      const revoked = row.revoked_at === null ? 'live' : `revoked by ${row.revoked_by ?? ''} at ${row.revoked_at.toISOString()}`;
      print(`${row.role}\t${row.email}\tgranted by ${row.granted_by} at ${row.granted_at.toISOString()}\t${revoked}`);
    }
    print(`${rows.length} ${command.includeRevoked ? '' : 'live '}grant(s)`);
    return;
  }
  await withTransaction(pool, async (db) => {
    const userId = await userIdOf(db, command.email);
    if (command.kind === 'grant') {
      const { rows } = await db.query<{ id: string; granted_at: Date }>(
        `INSERT INTO platform_role_grants (id, user_id, role, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, role) WHERE revoked_at IS NULL DO NOTHING RETURNING id, granted_at`,
        [uuidv7(), userId, command.role, command.operator],
      );
      const row = rows[0];
      if (row === undefined) throw new AdminError(`${command.email} already holds ${command.role}; nothing changed`);
      await recordRoleChange(db, { action: 'platform_role.granted', userId, role: command.role, operator: command.operator, grantId: row.id });
      print(`granted ${command.role} to ${command.email} (user ${userId}) by ${command.operator} at ${row.granted_at.toISOString()} (grant ${row.id}); it is in the user's tokens from their next sign-in or refresh`);
      return;
    }
    const { rows } = await db.query<{ id: string; revoked_at: Date }>(
      `UPDATE platform_role_grants SET revoked_at = now(), revoked_by = $3
       WHERE user_id = $1 AND role = $2 AND revoked_at IS NULL RETURNING id, revoked_at`,
      [userId, command.role, command.operator],
    );
    const row = rows[0];
    if (row === undefined) throw new AdminError(`${command.email} holds no live ${command.role} grant; nothing changed`);
    await recordRoleChange(db, { action: 'platform_role.revoked', userId, role: command.role, operator: command.operator, grantId: row.id });
    print(`revoked ${command.role} from ${command.email} (user ${userId}) by ${command.operator} at ${row.revoked_at.toISOString()} (grant ${row.id}); tokens already issued keep it until they expire (one access-token life)`);
  });
}
