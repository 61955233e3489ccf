import path from 'node:path';
import { envFields, shardMapField, withShardCredentials, type EnvConfig } from '@bulkhead/config';
import { migrateAll, type MigrationSetReport } from '@bulkhead/database';
import { z } from 'zod';

/**
 * `<workspace>/services`: three folders up from this file (tools/migrate/src) and from its
 * bundle (dist/tools/migrate), so it is the repository's folder in a checkout and
 * `/app/services` in the image.
 */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '../../..', 'services');

const ownerUrl = () => envFields.url(['postgres', 'postgresql']).optional();

/** The migration job's environment variables. */
export const migrateConfigShape = {
  /** The shard map with the owner role's URLs; credentials may come from the two variables below. */
  SHARD_OWNER_MAP: shardMapField(),
  SHARD_OWNER_DATABASE_USER: envFields.string().optional(),
  /** Taken as it is: a password may start or end with spaces. */
  SHARD_OWNER_DATABASE_PASSWORD: z.string().optional(),
  /** Required when a service has `migrations/identity`. */
  IDENTITY_DATABASE_OWNER_URL: ownerUrl(),
  /** Required when a service has `migrations/audit`. */
  AUDIT_DATABASE_OWNER_URL: ownerUrl(),
  /** The folder holding `<service>/migrations/<target>/`. */
  MIGRATIONS_DIR: envFields.string().default(DEFAULT_MIGRATIONS_DIR),
};

export type MigrateConfig = EnvConfig<typeof migrateConfigShape>;

/** One line per applied file, `applied <scope>/<target> <file> on <database>`, in the order applied. */
export function appliedLines(reports: readonly MigrationSetReport[]): string[] {
  return reports.flatMap((report) =>
    Object.entries(report.databases).flatMap(([database, { applied }]) =>
      applied.map((file) => `applied ${report.scope}/${report.target} ${file} on ${database}`),
    ),
  );
}

/**
 * Applies every service's migrations to their targets, printing one line per applied file and a
 * closing summary. Throws (naming the set, the database or the missing variable) on failure.
 */
export async function runMigrate(config: MigrateConfig, print: (line: string) => void): Promise<MigrationSetReport[]> {
  const servicesDir = path.resolve(config.MIGRATIONS_DIR);
  const reports = await migrateAll({
    servicesDir,
    shards: withShardCredentials(config.SHARD_OWNER_MAP, {
      user: config.SHARD_OWNER_DATABASE_USER,
      password: config.SHARD_OWNER_DATABASE_PASSWORD,
    }),
    identityDatabaseUrl: config.IDENTITY_DATABASE_OWNER_URL,
    auditDatabaseUrl: config.AUDIT_DATABASE_OWNER_URL,
  });
  const lines = appliedLines(reports);
  for (const line of lines) print(line);
  print(`${lines.length} migration(s) applied; ${reports.length} migration set(s) in ${servicesDir} are up to date`);
  return reports;
}
