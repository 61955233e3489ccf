import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { devstackEnvSchema, type DevstackEnv } from './devstack-env.schema';

/** The workspace root: the nearest folder above this file that holds `nx.json`. */
export function workspaceRoot(start: string = __dirname): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'nx.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** Where the devstack writes its settings: `DEVSTACK_ENV_FILE`, else `.devstack/env.json`. */
export function devstackEnvPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['DEVSTACK_ENV_FILE'] ?? path.join(workspaceRoot(), '.devstack', 'env.json');
}

/**
 * Reads and validates the devstack's settings. Throws with the command to run when the file
 * is missing, and names the field when it does not match the schema.
 */
export function loadDevstackEnv(file: string = devstackEnvPath()): DevstackEnv {
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: run \`npm run devstack -- up\` first`);
  }
  const parsed = devstackEnvSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file} is invalid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

/**
 * The environment variables services read, for the devstack's settings (see the README's
 * configuration reference).
 */
export function toServiceEnvironment(env: DevstackEnv): Record<string, string> {
  return {
    SHARD_MAP: JSON.stringify(env.shards.map((s) => ({ id: s.id, url: s.url }))),
    SHARD_OWNER_MAP: JSON.stringify(env.shards.map((s) => ({ id: s.id, url: s.ownerUrl }))),
    IDENTITY_DATABASE_URL: env.identityDatabase.url,
    IDENTITY_DATABASE_OWNER_URL: env.identityDatabase.ownerUrl,
    AUDIT_DATABASE_URL: env.auditDatabase.url,
    AUDIT_DATABASE_OWNER_URL: env.auditDatabase.ownerUrl,
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
  };
}

function control(env: DevstackEnv, component: string, action: 'start' | 'stop'): void {
  const argv = env.controls[component]?.[action];
  if (argv === undefined) {
    const managed = Object.keys(env.controls).join(', ') || 'none';
    throw new Error(`component "${component}" is not managed by this devstack (managed: ${managed})`);
  }
  const [command, ...args] = argv as [string, ...string[]];
  execFileSync(command, args, { cwd: workspaceRoot(), stdio: 'pipe', timeout: 180_000 });
}

/** Stops a devstack component (`pg-a`, `pg-b`, `redis`, `kafka`) for a fault-injection test. */
export function stopComponent(env: DevstackEnv, component: string): void {
  control(env, component, 'stop');
}

/** Starts a component stopped by {@link stopComponent} and waits until it answers. */
export function startComponent(env: DevstackEnv, component: string): void {
  control(env, component, 'start');
}
