import { migrateAll } from '@bulkhead/database';

/**
 * Applies every service's migrations to the devstack's shards, identity and audit databases as
 * their owners (`toServiceEnvironment`'s `*_OWNER_*` variables): what the audit specs need
 * before they start the service.
 */
export async function migrateDevstackDatabases(environment: Readonly<Record<string, string>>, servicesDir: string): Promise<void> {
  await migrateAll({
    servicesDir,
    shards: JSON.parse(environment['SHARD_OWNER_MAP'] ?? '[]') as { id: string; url: string }[],
    identityDatabaseUrl: environment['IDENTITY_DATABASE_OWNER_URL'],
    auditDatabaseUrl: environment['AUDIT_DATABASE_OWNER_URL'],
  });
}
