import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { devstackEnvSchema, type DevstackEnv } from './devstack-env.schema';

/** The workspace root: the nearest folder above `start` (default: this file) that holds `nx.json`. */
export function workspaceRoot(start: string = __dirname): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'nx.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** Where the devstack writes its settings: `DEVSTACK_ENV_FILE`, else `<workspace>/.devstack/env.json`. */
export function devstackEnvPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['DEVSTACK_ENV_FILE'];
  return override !== undefined && override !== '' ? path.resolve(override) : path.join(workspaceRoot(), '.devstack', 'env.json');
}

/** Options of {@link loadDevstackEnv}. */
export interface LoadDevstackEnvOptions {
  /** The settings file; default {@link devstackEnvPath} of `env`. */
  file?: string;
  /** The environment that may name the file in `DEVSTACK_ENV_FILE`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads and validates the devstack's settings. Throws with the command to run when the file
 * is missing, and names the field when it does not match the schema.
 */
export function loadDevstackEnv(options: LoadDevstackEnvOptions = {}): DevstackEnv {
  const file = options.file ?? devstackEnvPath(options.env);
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: run \`npm run devstack -- up\` first`);
  }
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): run \`npm run devstack -- up\` to rewrite it`);
  }
  const parsed = devstackEnvSchema.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
    throw new Error(`${file} is invalid at ${field}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

/**
 * The environment variables services read, for the devstack's settings (see the README's
 * configuration reference): `SHARD_MAP`, `SHARD_OWNER_MAP`, the identity and audit database
 * URLs with their owner URLs, the audit relay's `RELAY_DATABASE_USER`/`_PASSWORD` where the
 * devstack knows them, `PLACEMENT_DATABASE_URL` (where the sharded services read tenant
 * placements: the identity database, as the role that may only read them where the devstack
 * knows it, else as the service role), `REDIS_URL`, `KAFKA_BROKERS`, and a
 * `SIGNING_KEY_ENCRYPTION_KEY`, the agent service's `AGENT_MASTER_KEY` and the workflow service's `WORKLOAD_KEY` (and auth's
 * `WORKLOAD_KEYS` register holding it), derived from the identity database's URL: local-only
 * keys, stable across restarts so the signing keys sealed with them stay readable. Never
 * production keys.
 */
export function toServiceEnvironment(env: DevstackEnv): Record<string, string> {
  const workloadKey = createHash('sha256').update(`bulkhead-devstack-workload:${env.identityDatabase.url}`).digest('base64url');
  return {
    SHARD_MAP: JSON.stringify(env.shards.map((s) => ({ id: s.id, url: s.url }))),
    SHARD_OWNER_MAP: JSON.stringify(env.shards.map((s) => ({ id: s.id, url: s.ownerUrl }))),
    IDENTITY_DATABASE_URL: env.identityDatabase.url,
    IDENTITY_DATABASE_OWNER_URL: env.identityDatabase.ownerUrl,
    PLACEMENT_DATABASE_URL: env.placementDatabaseUrl ?? env.identityDatabase.url,
    AUDIT_DATABASE_URL: env.auditDatabase.url,
    AUDIT_DATABASE_OWNER_URL: env.auditDatabase.ownerUrl,
    ...(env.auditRelay === undefined ? {} : { RELAY_DATABASE_USER: env.auditRelay.user, RELAY_DATABASE_PASSWORD: env.auditRelay.password }),
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    SIGNING_KEY_ENCRYPTION_KEY: createHash('sha256').update(`bulkhead-devstack:${env.identityDatabase.url}`).digest('base64'),
    // The workflow service's workload key, and auth's register of workload keys (ADR 0006).
    WORKLOAD_KEY: workloadKey,
    WORKLOAD_KEYS: `workflow=${workloadKey}`,
    // Wraps the agents' per-tenant data keys (envelope encryption of their credentials).
    AGENT_MASTER_KEY: createHash('sha256').update(`bulkhead-devstack-agents:${env.identityDatabase.url}`).digest('base64'),
  };
}

function control(env: DevstackEnv, component: string, action: 'start' | 'stop' | 'kill'): void {
  const argv = env.controls[component]?.[action];
  if (argv === undefined) {
    const managed = Object.keys(env.controls).join(', ') || 'none';
    throw new Error(`component "${component}" is not managed by this devstack (managed: ${managed})`);
  }
  const [command, ...args] = argv as [string, ...string[]];
  const result = spawnSync(command, args, { cwd: workspaceRoot(), encoding: 'utf8', timeout: 180_000 });
  if (result.error !== undefined || result.status !== 0) {
    const lines = `${result.stderr ?? ''}\n${result.stdout ?? ''}`.split('\n').filter((l) => l.trim() !== '');
    const why = result.error?.message ?? lines.pop() ?? `exit ${String(result.status)}`;
    throw new Error(`${action} ${component} failed: ${argv.join(' ')}: ${why.trim()}`);
  }
}

/**
 * Stops a devstack component (`pg-a`, `pg-b`, `redis`, `kafka`) for a fault-injection test.
 * Throws when the component is not managed by this devstack (external, or unknown).
 */
export function stopComponent(env: DevstackEnv, component: string): void {
  control(env, component, 'stop');
}

/**
 * Kills a devstack component with SIGKILL (no clean shutdown: the broker's log and group state
 * are recovered on the next start), for a fault-injection test; `kafka` when run locally.
 * Throws when the devstack offers no kill for it.
 */
export function killComponent(env: DevstackEnv, component: string): void {
  control(env, component, 'kill');
}

/** Starts a component stopped by {@link stopComponent} or {@link killComponent}; returns once it accepts connections. */
export function startComponent(env: DevstackEnv, component: string): void {
  control(env, component, 'start');
}
