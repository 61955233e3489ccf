import type { ShardMap } from '@bulkhead/config';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { migrateShards, runMigrations, type MigrationReport } from './migration-runner';

/**
 * Where a folder of migrations is applied: `shards` to every tenant shard, `identity` to the
 * global identity database, `audit` to the compliance-log database.
 */
export const MIGRATION_TARGETS = ['shards', 'identity', 'audit'] as const;

export type MigrationTarget = (typeof MIGRATION_TARGETS)[number];

/** One `<servicesDir>/<scope>/migrations/<target>/` folder. */
export interface MigrationSet {
  /** The service the migrations belong to: their scope in the migrations table. */
  scope: string;
  target: MigrationTarget;
  /** The folder of `NNNN_name.sql` files. */
  dir: string;
}

function isTarget(name: string): name is MigrationTarget {
  return (MIGRATION_TARGETS as readonly string[]).includes(name);
}

function isMissing(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

interface FolderEntries {
  folders: string[];
  files: string[];
}

async function subfolders(dir: string): Promise<FolderEntries> {
  const entries = await readdir(dir, { withFileTypes: true });
  return {
    folders: entries.filter((e) => e.isDirectory()).map((e) => e.name),
    files: entries.filter((e) => !e.isDirectory()).map((e) => e.name),
  };
}

/**
 * Every `<servicesDir>/<service>/migrations/<target>/` folder, sorted by scope and then in
 * {@link MIGRATION_TARGETS} order. Throws naming the folder for a target that is not one of
 * {@link MIGRATION_TARGETS}, and for a `.sql` file lying in `migrations/` outside a target.
 */
export async function discoverMigrations(servicesDir: string): Promise<MigrationSet[]> {
  let services: string[];
  try {
    services = (await subfolders(servicesDir)).folders;
  } catch (err) {
    throw new Error(`cannot read the services folder ${servicesDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const sets: MigrationSet[] = [];
  for (const scope of services.sort()) {
    const migrationsDir = path.join(servicesDir, scope, 'migrations');
    const { folders, files } = await subfolders(migrationsDir).catch((err: unknown): FolderEntries => {
      if (isMissing(err)) return { folders: [], files: [] };
      throw err;
    });
    const stray = files.find((name) => name.endsWith('.sql'));
    if (stray !== undefined) {
      throw new Error(`migration ${path.join(migrationsDir, stray)} is not in a target folder (${MIGRATION_TARGETS.join(', ')})`);
    }
    for (const target of folders) {
      if (!isTarget(target)) {
        throw new Error(`unknown migration target "${target}" (${path.join(migrationsDir, target)}): expected one of ${MIGRATION_TARGETS.join(', ')}`);
      }
    }
    for (const target of MIGRATION_TARGETS.filter((t) => folders.includes(t))) {
      sets.push({ scope, target, dir: path.join(migrationsDir, target) });
    }
  }
  return sets;
}

/** Options of {@link migrateAll}. */
export interface MigrateAllOptions {
  /** The folder holding `<service>/migrations/<target>/`. */
  servicesDir: string;
  /** The shards, with the owner role's URLs (`SHARD_OWNER_MAP`). */
  shards: ShardMap;
  /** The identity database as its owner (`IDENTITY_DATABASE_OWNER_URL`); needed only when an `identity` folder exists. */
  identityDatabaseUrl?: string | undefined;
  /** The compliance-log database as its owner (`AUDIT_DATABASE_OWNER_URL`); needed only when an `audit` folder exists. */
  auditDatabaseUrl?: string | undefined;
  /** The role services connect as, granted SELECT on the migrations table (default `bulkhead_app`). */
  serviceRole?: string | undefined;
}

/** What {@link migrateAll} did for one migration set: per database (shard id, `identity` or `audit`). */
export interface MigrationSetReport extends MigrationSet {
  databases: Record<string, MigrationReport>;
}

/** The option and variable that give each global target's owner URL. */
const GLOBAL_TARGETS = {
  identity: { option: 'identityDatabaseUrl', variable: 'IDENTITY_DATABASE_OWNER_URL' },
  audit: { option: 'auditDatabaseUrl', variable: 'AUDIT_DATABASE_OWNER_URL' },
} as const;

/**
 * Applies every migration set found by {@link discoverMigrations} to its target: `shards` sets to
 * every shard in map order, `identity` and `audit` sets to those databases. Before applying
 * anything it checks that every target with migrations has its URL, and throws naming the
 * variable otherwise. A failure names the set and the database.
 */
export async function migrateAll(options: MigrateAllOptions): Promise<MigrationSetReport[]> {
  const sets = await discoverMigrations(options.servicesDir);
  const missing = sets.flatMap((set) => {
    if (set.target === 'shards') return [];
    const { option, variable } = GLOBAL_TARGETS[set.target];
    return options[option] === undefined ? [`${set.scope} has ${set.target} migrations (${set.dir}) but ${variable} is not set`] : [];
  });
  if (missing.length > 0) throw new Error(missing.join('; '));

  const role = options.serviceRole === undefined ? {} : { serviceRole: options.serviceRole };
  const reports: MigrationSetReport[] = [];
  for (const set of sets) {
    const common = { migrationsDir: set.dir, scope: set.scope, ...role };
    try {
      if (set.target === 'shards') {
        reports.push({ ...set, databases: await migrateShards({ shards: options.shards, ...common }) });
      } else {
        const databaseUrl = options[GLOBAL_TARGETS[set.target].option] ?? '';
        reports.push({ ...set, databases: { [set.target]: await runMigrations({ databaseUrl, ...common }) } });
      }
    } catch (err) {
      const where = set.target === 'shards' ? '' : `${set.target} database: `;
      throw new Error(`${set.scope}/${set.target}: ${where}${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return reports;
}
