import { homedir } from 'node:os';
import path from 'node:path';
import { DevstackError } from './devstack-error';

/** Ports and folders of a local devstack. Every port can be moved with its variable. */
export interface DevstackSettings {
  workspace: string;
  /** Data, logs and pid files of the local processes: `DEVSTACK_STATE_DIR`, default `<workspace>/.devstack`. */
  stateDir: string;
  /** The settings file written by `up`: `DEVSTACK_ENV_FILE`, default `<workspace>/.devstack/env.json`. */
  envFile: string;
  /** Downloads kept between runs and checkouts (Kafka jars): `~/.cache/bulkhead`. */
  cacheDir: string;
  postgresPorts: [number, number];
  redisPort: number;
  kafkaPort: number;
  kafkaControllerPort: number;
  /** `DEVSTACK_CONTAINERS`: `auto` (default) uses containers where a Docker engine answers; `off` never does. */
  containers: 'auto' | 'off';
}

/** The variable that moves each port, named in every port-conflict message. */
export const PORT_VARIABLES = {
  postgres: 'DEVSTACK_PG_PORTS',
  redis: 'DEVSTACK_REDIS_PORT',
  kafka: 'DEVSTACK_KAFKA_PORT',
  kafkaController: 'DEVSTACK_KAFKA_CONTROLLER_PORT',
} as const;

function parsePort(variable: string, raw: string): number {
  const port = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DevstackError(`${variable}: "${raw}" is not a port (1-65535)`);
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads the devstack's settings from the environment, with the documented defaults. */
export function readDevstackSettings(workspace: string, env: NodeJS.ProcessEnv = process.env): DevstackSettings {
  const pgPorts = (nonEmpty(env[PORT_VARIABLES.postgres]) ?? '55432,55433').split(',');
  if (pgPorts.length !== 2) {
    throw new DevstackError(`${PORT_VARIABLES.postgres}: expected two comma-separated ports, got "${pgPorts.join(',')}"`);
  }
  const [a, b] = pgPorts.map((p) => parsePort(PORT_VARIABLES.postgres, p)) as [number, number];
  if (a === b) throw new DevstackError(`${PORT_VARIABLES.postgres}: the two PostgreSQL servers need different ports`);
  const kafkaPort = parsePort(PORT_VARIABLES.kafka, nonEmpty(env[PORT_VARIABLES.kafka]) ?? '59092');
  const kafkaControllerPort = parsePort(PORT_VARIABLES.kafkaController, nonEmpty(env[PORT_VARIABLES.kafkaController]) ?? '59093');
  if (kafkaPort === kafkaControllerPort) {
    throw new DevstackError(`${PORT_VARIABLES.kafka} and ${PORT_VARIABLES.kafkaController} must differ (both ${kafkaPort})`);
  }
  const containers = (nonEmpty(env['DEVSTACK_CONTAINERS']) ?? 'auto').trim();
  if (containers !== 'auto' && containers !== 'off') throw new DevstackError(`DEVSTACK_CONTAINERS: expected auto or off, got "${containers}"`);
  const stateDir = nonEmpty(env['DEVSTACK_STATE_DIR']);
  const envFile = nonEmpty(env['DEVSTACK_ENV_FILE']);
  return {
    workspace,
    stateDir: stateDir === undefined ? path.join(workspace, '.devstack') : path.resolve(stateDir),
    envFile: envFile === undefined ? path.join(workspace, '.devstack', 'env.json') : path.resolve(envFile),
    cacheDir: path.join(homedir(), '.cache', 'bulkhead'),
    postgresPorts: [a, b],
    redisPort: parsePort(PORT_VARIABLES.redis, nonEmpty(env[PORT_VARIABLES.redis]) ?? '56379'),
    kafkaPort,
    kafkaControllerPort,
    containers,
  };
}
