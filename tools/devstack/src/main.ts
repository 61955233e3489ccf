import { devstackEnvSchema, loadDevstackEnv, workspaceRoot, type DevstackEnv } from '@bulkhead/testkit';
import { ConfigError } from '@bulkhead/config';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { hasContainerRuntime, upContainerKafka, upContainerPostgres, upContainerRedis } from './containers';
import { DevstackError } from './devstack-error';
import { readDevstackSettings, type DevstackSettings } from './devstack-settings';
import { externalKafka, externalPostgres, externalRedis } from './external';
import { downLocalKafka, upLocalKafka } from './kafka.local';
import { downLocalPostgres, upLocalPostgres } from './postgres.local';
import { downLocalRedis, upLocalRedis } from './redis.local';
import { runPlatform } from './platform';
import { run } from './processes';

const USAGE = `usage: npm run devstack -- <command>
  up                 start what is missing, check what runs, write .devstack/env.json
  status             each component and whether it answers
  down [--purge]     stop what the devstack started (--purge also deletes its data)
  start|stop <redis|kafka>   one local component (fault-injection tests use these)
  platform           up, then build and run every service against it (npm start)`;

const log = (line: string): void => {
  process.stderr.write(`devstack: ${line}\n`);
};

function envFile(settings: DevstackSettings): string {
  return process.env['DEVSTACK_ENV_FILE'] ?? path.join(settings.stateDir, 'env.json');
}

function previousEnv(settings: DevstackSettings): DevstackEnv | undefined {
  try {
    return existsSync(envFile(settings)) ? loadDevstackEnv({ file: envFile(settings) }) : undefined;
  } catch {
    return undefined;
  }
}

async function answersSql(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function answersRedis(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function answersKafka(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ clientId: 'devstack', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function up(settings: DevstackSettings): Promise<DevstackEnv> {
  const previous = previousEnv(settings);
  let docker: boolean | undefined;
  const useContainers = async (): Promise<boolean> => (docker ??= await hasContainerRuntime());
  const reusable = async (component: 'postgres' | 'redis' | 'kafka', answers: () => Promise<boolean>): Promise<boolean> =>
    previous?.modes[component] === 'containers' && (await answers());

  const controls: DevstackEnv['controls'] = {};
  const modes: DevstackEnv['modes'] = { postgres: 'local', redis: 'local', kafka: 'local' };

  let postgres = externalPostgres(process.env);
  if (postgres !== undefined) modes.postgres = 'external';
  else if (previous !== undefined && (await reusable('postgres', () => answersSql(previous.shards[0]?.url ?? '')))) {
    postgres = previous;
    modes.postgres = 'containers';
    for (const server of previous.postgresServers) {
      const control = previous.controls[server.id];
      if (control !== undefined) controls[server.id] = control;
    }
  } else if (await useContainers()) {
    log('Docker engine found: PostgreSQL in containers');
    const started = await upContainerPostgres();
    Object.assign(controls, started.controls);
    postgres = started;
    modes.postgres = 'containers';
  } else {
    const started = await upLocalPostgres(settings, log);
    Object.assign(controls, started.controls);
    postgres = started;
  }

  let redisUrl = externalRedis(process.env);
  if (redisUrl !== undefined) modes.redis = 'external';
  else if (previous !== undefined && (await reusable('redis', () => answersRedis(previous.redisUrl)))) {
    redisUrl = previous.redisUrl;
    modes.redis = 'containers';
    if (previous.controls['redis']) controls['redis'] = previous.controls['redis'];
  } else if (await useContainers()) {
    const started = await upContainerRedis();
    redisUrl = started.url;
    controls['redis'] = started.controls;
    modes.redis = 'containers';
  } else {
    redisUrl = await upLocalRedis(settings, log);
    controls['redis'] = selfControl('redis');
  }

  let kafkaBrokers = externalKafka(process.env);
  if (kafkaBrokers !== undefined) modes.kafka = 'external';
  else if (previous !== undefined && (await reusable('kafka', () => answersKafka(previous.kafkaBrokers)))) {
    kafkaBrokers = previous.kafkaBrokers;
    modes.kafka = 'containers';
    if (previous.controls['kafka']) controls['kafka'] = previous.controls['kafka'];
  } else if (await useContainers()) {
    const started = await upContainerKafka(settings.kafkaPort);
    kafkaBrokers = started.brokers;
    controls['kafka'] = started.controls;
    modes.kafka = 'containers';
  } else {
    kafkaBrokers = await upLocalKafka(settings, log);
    controls['kafka'] = selfControl('kafka');
  }

  const env = devstackEnvSchema.parse({
    version: 1,
    modes,
    postgresServers: postgres.postgresServers,
    shards: postgres.shards,
    identityDatabase: postgres.identityDatabase,
    auditDatabase: postgres.auditDatabase,
    redisUrl,
    kafkaBrokers,
    controls,
  });
  mkdirSync(path.dirname(envFile(settings)), { recursive: true });
  writeFileSync(envFile(settings), `${JSON.stringify(env, null, 2)}\n`);
  return env;
}

/** argv that re-enters this CLI to start/stop one local component. */
function selfControl(component: 'redis' | 'kafka'): DevstackEnv['controls'][string] {
  const tsx = path.join(workspaceRoot(), 'node_modules', '.bin', 'tsx');
  const main = path.join(workspaceRoot(), 'tools', 'devstack', 'src', 'main.ts');
  const tsconfig = path.join(workspaceRoot(), 'tsconfig.base.json');
  const cli = [tsx, '--tsconfig', tsconfig, main];
  return { stop: [...cli, 'stop', component], start: [...cli, 'start', component] };
}

async function status(settings: DevstackSettings): Promise<boolean> {
  const env = previousEnv(settings);
  if (env === undefined) {
    process.stdout.write('devstack is not up (no valid .devstack/env.json): run `npm run devstack -- up`\n');
    return false;
  }
  const checks: [string, Promise<boolean>][] = [
    ...env.shards.map((s): [string, Promise<boolean>] => [`postgres ${s.id} (${s.server}, ${env.modes.postgres})`, answersSql(s.url)]),
    [`postgres identity (${env.identityDatabase.server})`, answersSql(env.identityDatabase.url)],
    [`postgres audit (${env.auditDatabase.server})`, answersSql(env.auditDatabase.url)],
    [`redis ${env.redisUrl} (${env.modes.redis})`, answersRedis(env.redisUrl)],
    [`kafka ${env.kafkaBrokers.join(',')} (${env.modes.kafka})`, answersKafka(env.kafkaBrokers)],
  ];
  let allUp = true;
  for (const [name, check] of checks) {
    const ok = await check;
    allUp &&= ok;
    process.stdout.write(`${ok ? 'up  ' : 'DOWN'}  ${name}\n`);
  }
  return allUp;
}

async function down(settings: DevstackSettings, purge: boolean): Promise<void> {
  const env = previousEnv(settings);
  for (const [component, control] of Object.entries(env?.controls ?? {})) {
    if (control.stop[0] === 'docker') run(control.stop[0], control.stop.slice(1), `stopping ${component} failed`);
  }
  await downLocalKafka(settings, purge);
  await downLocalRedis(settings, purge);
  downLocalPostgres(purge);
  rmSync(envFile(settings), { force: true });
}

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  const settings = readDevstackSettings(workspaceRoot());
  switch (command) {
    case 'up': {
      const started = Date.now();
      const env = await up(settings);
      log(`up in ${((Date.now() - started) / 1000).toFixed(1)}s: postgres ${env.modes.postgres} (${env.shards.length} shards on ${env.postgresServers.length} servers), redis ${env.modes.redis}, kafka ${env.modes.kafka}; settings in ${envFile(settings)}`);
      return 0;
    }
    case 'platform':
      return runPlatform(settings.workspace, await up(settings), log);
    case 'status':
      return (await status(settings)) ? 0 : 1;
    case 'down':
      await down(settings, arg === '--purge');
      return 0;
    case 'start':
    case 'stop': {
      if (arg !== 'redis' && arg !== 'kafka') throw new DevstackError(`${command} takes redis or kafka, got "${arg ?? ''}"`);
      if (command === 'start') {
        if (arg === 'redis') await upLocalRedis(settings, log);
        else await upLocalKafka(settings, log);
      } else if (arg === 'redis') await downLocalRedis(settings, false);
      else await downLocalKafka(settings, false);
      return 0;
    }
    default:
      process.stdout.write(`${USAGE}\n`);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DevstackError || err instanceof ConfigError) {
      process.stderr.write(`devstack: ${err.message}\n`);
    } else {
      process.stderr.write(`devstack: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
