import { homedir } from 'node:os';
import path from 'node:path';
import { DevstackError } from './devstack-error';

/** Ports and folders of a local devstack. Every port can be moved with its variable. */
export interface DevstackSettings {
  workspace: string;
  stateDir: string;
  cacheDir: string;
  postgresPorts: [number, number];
  redisPort: number;
  kafkaPort: number;
  kafkaControllerPort: number;
}

export const PORT_VARIABLES = {
  postgres: 'DEVSTACK_PG_PORTS',
  redis: 'DEVSTACK_REDIS_PORT',
  kafka: 'DEVSTACK_KAFKA_PORT',
  kafkaController: 'DEVSTACK_KAFKA_CONTROLLER_PORT',
} as const;

function parsePort(variable: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DevstackError(`${variable}: "${raw}" is not a port (1-65535)`);
  }
  return port;
}

/** Reads the devstack's settings from the environment, with the documented defaults. */
export function readDevstackSettings(workspace: string, env: NodeJS.ProcessEnv = process.env): DevstackSettings {
  const pgPorts = (env[PORT_VARIABLES.postgres] ?? '55432,55433').split(',').map((p) => p.trim());
  if (pgPorts.length !== 2) {
    throw new DevstackError(`${PORT_VARIABLES.postgres}: expected two comma-separated ports, got "${pgPorts.join(',')}"`);
  }
  const [a, b] = pgPorts.map((p) => parsePort(PORT_VARIABLES.postgres, p)) as [number, number];
  if (a === b) throw new DevstackError(`${PORT_VARIABLES.postgres}: the two PostgreSQL servers need different ports`);
  return {
    workspace,
    stateDir: path.join(workspace, '.devstack'),
    cacheDir: path.join(homedir(), '.cache', 'bulkhead'),
    postgresPorts: [a, b],
    redisPort: parsePort(PORT_VARIABLES.redis, env[PORT_VARIABLES.redis] ?? '56379'),
    kafkaPort: parsePort(PORT_VARIABLES.kafka, env[PORT_VARIABLES.kafka] ?? '59092'),
    kafkaControllerPort: parsePort(PORT_VARIABLES.kafkaController, env[PORT_VARIABLES.kafkaController] ?? '59093'),
  };
}
