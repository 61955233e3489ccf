import type { DevstackEnv } from './devstack-env.schema';
import { loadDevstackEnv } from './devstack-env';
import { withPgClient } from './pg-client';

/** The devstack's audit database as the PostgreSQL superuser: the tamper tests' attacker. */
export function auditDatabaseSuperuserUrl(devstack: DevstackEnv = loadDevstackEnv()): string {
  const server = devstack.postgresServers.find((candidate) => candidate.id === devstack.auditDatabase.server);
  if (server?.superuserUrl === undefined) throw new Error(`the devstack gives no superuser URL for ${devstack.auditDatabase.server}: the tamper tests need one`);
  const url = new URL(server.superuserUrl);
  url.pathname = new URL(devstack.auditDatabase.url).pathname;
  return url.toString();
}

/**
 * Runs `sql` on the compliance log as the superuser with triggers off
 * (`session_replication_role = replica`): an attacker bypassing the audit service, whose
 * tampering verification must report.
 */
export function tamperAuditLog(sql: string, params: unknown[], devstack: DevstackEnv = loadDevstackEnv()): Promise<unknown> {
  return withPgClient(auditDatabaseSuperuserUrl(devstack), async (client) => {
    await client.query('SET session_replication_role = replica');
    return client.query(sql, params);
  });
}
