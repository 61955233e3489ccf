import { withPgClient, type DevstackEnv } from '@bulkhead/testkit';

/**
 * The descriptions the tenant's logged `project.updated` events carry, one per logged event
 * (read from the compliance log as its owner): how the fault specs tell which writes were logged.
 */
export async function loggedWrites(devstack: DevstackEnv, tenantId: string): Promise<string[]> {
  return withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
    (
      await client.query<{ description: string }>(
        `SELECT event->'changes'->'after'->>'description' AS description FROM audit_events WHERE tenant_id = $1 AND action = 'project.updated'`,
        [tenantId],
      )
    ).rows.map((row) => row.description),
  );
}
