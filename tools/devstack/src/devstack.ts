import { devstackEnvSchema, loadDevstackEnv, workspaceRoot, type DevstackEnv } from '@bulkhead/testkit';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTAINER_NAMES, hasContainerRuntime, removeContainers, upContainerKafka, upContainerPostgres, upContainerRedis } from './containers';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { externalKafka, externalPostgres, externalRedis } from './external';
import { answersKafka, answersRedis, answersSql } from './health';
import { downLocalKafka, upLocalKafka } from './kafka.local';
import { downLocalPostgres, upLocalPostgres } from './postgres.local';
import { downLocalRedis, upLocalRedis } from './redis.local';

type Log = (line: string) => void;
type Control = DevstackEnv['controls'][string];

/** The components `start` and `stop` run in-process; PostgreSQL is controlled by `pg_ctlcluster`. */
export const SELF_CONTROLLED = ['redis', 'kafka'] as const;
export type SelfControlled = (typeof SELF_CONTROLLED)[number];

/** The settings a previous `up` wrote, if they are there and valid. */
export function previousEnv(settings: DevstackSettings): DevstackEnv | undefined {
  try {
    return existsSync(settings.envFile) ? loadDevstackEnv({ file: settings.envFile }) : undefined;
  } catch {
    return undefined;
  }
}

/** argv that re-enters this CLI to start/stop one local component. */
function selfControl(settings: DevstackSettings, component: SelfControlled): Control {
  const root = workspaceRoot();
  const cli = [path.join(root, 'node_modules', '.bin', 'tsx'), '--tsconfig', path.join(root, 'tsconfig.base.json'), path.join(root, 'tools', 'devstack', 'src', 'main.ts')];
  // The control must act on this devstack even when run from an environment without its variables.
  const env = [
    'env',
    `DEVSTACK_STATE_DIR=${settings.stateDir}`,
    `DEVSTACK_ENV_FILE=${settings.envFile}`,
    `${PORT_VARIABLES.redis}=${settings.redisPort}`,
    `${PORT_VARIABLES.kafka}=${settings.kafkaPort}`,
    `${PORT_VARIABLES.kafkaController}=${settings.kafkaControllerPort}`,
  ];
  const kill = component === 'kafka' ? { kill: [...env, ...cli, 'kill', component] } : {};
  return { stop: [...env, ...cli, 'stop', component], start: [...env, ...cli, 'start', component], ...kill };
}

/** Validates and writes env.json atomically, so a reader never sees half a file. */
function writeEnv(settings: DevstackSettings, candidate: unknown): DevstackEnv {
  const parsed = devstackEnvSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DevstackError(`the settings to write are invalid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'unknown'} (check the URLs given in the environment)`);
  }
  mkdirSync(path.dirname(settings.envFile), { recursive: true });
  const temporary = `${settings.envFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(parsed.data, null, 2)}\n`);
  renameSync(temporary, settings.envFile);
  return parsed.data;
}

type Mode = DevstackEnv['modes'][keyof DevstackEnv['modes']];

/** A component started (or found) by the devstack: its settings and how to stop/start it. */
interface Started<T> {
  value: T;
  controls: Record<string, Control>;
}

/** Where one component can come from, in the order {@link resolveComponent} tries them. */
interface ComponentSources<T> {
  component: keyof DevstackEnv['modes'];
  /** Settings given by the environment, if any. */
  external(): T | undefined;
  /** What an earlier `up` recorded: its settings, its control ids, and whether it still answers. */
  recorded(env: DevstackEnv): { value: T; controlIds: readonly string[]; answers(): Promise<boolean> };
  containers(): Promise<Started<T>>;
  local(): Promise<Started<T>>;
}

/**
 * Resolves one component: URLs from the environment, else containers an earlier `up` started
 * that still answer, else new containers where a Docker engine answers, else local processes.
 * `dockerAnswers` is false throughout when containers are off.
 */
async function resolveComponent<T>(
  sources: ComponentSources<T>,
  previous: DevstackEnv | undefined,
  dockerAnswers: () => Promise<boolean>,
): Promise<Started<T> & { mode: Mode }> {
  const given = sources.external();
  if (given !== undefined) return { value: given, controls: {}, mode: 'external' };
  if (previous?.modes[sources.component] === 'containers' && (await dockerAnswers())) {
    const recorded = sources.recorded(previous);
    if (await recorded.answers()) {
      const controls = Object.fromEntries(
        recorded.controlIds.flatMap((id) => (previous.controls[id] === undefined ? [] : [[id, previous.controls[id]]])),
      );
      return { value: recorded.value, controls, mode: 'containers' };
    }
  }
  if (await dockerAnswers()) return { ...(await sources.containers()), mode: 'containers' };
  return { ...(await sources.local()), mode: 'local' };
}

/**
 * Brings every component up (idempotently: what runs is checked and kept) and writes
 * env.json. Per component: URLs from the environment, else containers where a Docker engine
 * answers (or still answer from an earlier `up`), else local processes.
 */
export async function up(settings: DevstackSettings, log: Log): Promise<DevstackEnv> {
  const previous = previousEnv(settings);
  let docker: boolean | undefined;
  const dockerAnswers = async (): Promise<boolean> => settings.containers === 'auto' && (docker ??= await hasContainerRuntime());

  const postgres = await resolveComponent<Pick<DevstackEnv, 'postgresServers' | 'shards' | 'identityDatabase' | 'auditDatabase' | 'auditRelay' | 'placementDatabaseUrl'>>(
    {
      component: 'postgres',
      external: () => externalPostgres(process.env),
      recorded: (env) => ({
        value: env,
        controlIds: env.postgresServers.map((s) => s.id),
        // Recorded before the relay and the placement reader had roles of their own: set up again, which creates them.
        answers: async () => env.auditRelay !== undefined && env.placementDatabaseUrl !== undefined && (await answersSql(env.shards[0]?.url ?? '')),
      }),
      containers: async () => {
        log('Docker engine found: PostgreSQL in containers');
        const started = await upContainerPostgres(settings);
        return { value: started, controls: started.controls };
      },
      local: async () => {
        const started = await upLocalPostgres(settings, log);
        return { value: started, controls: started.controls };
      },
    },
    previous,
    dockerAnswers,
  );

  const redis = await resolveComponent<string>(
    {
      component: 'redis',
      external: () => externalRedis(process.env),
      recorded: (env) => ({ value: env.redisUrl, controlIds: ['redis'], answers: () => answersRedis(env.redisUrl) }),
      containers: async () => {
        const started = await upContainerRedis(settings);
        return { value: started.url, controls: { redis: started.control } };
      },
      local: async () => ({ value: await upLocalRedis(settings, log), controls: { redis: selfControl(settings, 'redis') } }),
    },
    previous,
    dockerAnswers,
  );

  const kafka = await resolveComponent<string[]>(
    {
      component: 'kafka',
      external: () => externalKafka(process.env),
      recorded: (env) => ({ value: env.kafkaBrokers, controlIds: ['kafka'], answers: () => answersKafka(env.kafkaBrokers) }),
      containers: async () => {
        const started = await upContainerKafka(settings);
        return { value: started.brokers, controls: { kafka: started.control } };
      },
      local: async () => ({ value: await upLocalKafka(settings, log), controls: { kafka: selfControl(settings, 'kafka') } }),
    },
    previous,
    dockerAnswers,
  );

  const { postgresServers, shards, identityDatabase, auditDatabase, auditRelay, placementDatabaseUrl } = postgres.value;
  return writeEnv(settings, {
    version: 1,
    modes: { postgres: postgres.mode, redis: redis.mode, kafka: kafka.mode },
    postgresServers,
    shards,
    identityDatabase,
    auditDatabase,
    ...(auditRelay === undefined ? {} : { auditRelay }),
    ...(placementDatabaseUrl === undefined ? {} : { placementDatabaseUrl }),
    redisUrl: redis.value,
    kafkaBrokers: kafka.value,
    controls: { ...postgres.controls, ...redis.controls, ...kafka.controls },
  });
}

/** Prints each component and whether it answers; true when all do. */
export async function status(settings: DevstackSettings, print: (line: string) => void): Promise<boolean> {
  const env = previousEnv(settings);
  if (env === undefined) {
    print(`devstack is not up (no valid ${settings.envFile}): run \`npm run devstack -- up\``);
    return false;
  }
  const checks: [string, Promise<boolean>][] = [
    ...env.shards.map((s): [string, Promise<boolean>] => [`postgres ${s.id} on ${s.server} (${env.modes.postgres})`, answersSql(s.url)]),
    [`postgres identity on ${env.identityDatabase.server} (${env.modes.postgres})`, answersSql(env.identityDatabase.url)],
    [`postgres audit on ${env.auditDatabase.server} (${env.modes.postgres})`, answersSql(env.auditDatabase.url)],
    [`redis ${env.redisUrl} (${env.modes.redis})`, answersRedis(env.redisUrl)],
    [`kafka ${env.kafkaBrokers.join(',')} (${env.modes.kafka})`, answersKafka(env.kafkaBrokers)],
  ];
  let allUp = true;
  for (const [name, check] of checks) {
    const ok = await check;
    allUp &&= ok;
    print(`${ok ? 'up  ' : 'DOWN'}  ${name}`);
  }
  return allUp;
}

/**
 * Stops what the devstack started: local processes (data kept unless `purge`) and its
 * containers (removed). External services are left alone. env.json is deleted.
 */
export async function down(settings: DevstackSettings, purge: boolean): Promise<void> {
  const previous = previousEnv(settings);
  if (previous !== undefined && Object.values(previous.modes).includes('containers')) removeContainers(CONTAINER_NAMES);
  await downLocalKafka(settings, purge);
  await downLocalRedis(settings, purge);
  // This state directory's clusters (the machine's others belong to other checkouts).
  if (previous === undefined || previous.modes.postgres === 'local') downLocalPostgres(settings.stateDir, purge);
  rmSync(settings.envFile, { force: true });
}

/** `start <component>`: brings one local component back (what its recorded control runs). */
export async function startComponent(settings: DevstackSettings, component: SelfControlled, log: Log): Promise<void> {
  if (component === 'redis') await upLocalRedis(settings, log);
  else await upLocalKafka(settings, log);
}

/** `stop <component>`: stops one local component, keeping its data. */
export async function stopComponent(settings: DevstackSettings, component: SelfControlled): Promise<void> {
  if (component === 'redis') await downLocalRedis(settings, false);
  else await downLocalKafka(settings, false);
}
