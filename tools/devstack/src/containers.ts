import { spawnSync } from 'node:child_process';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { DevstackEnv } from '@bulkhead/testkit';
import type { DevstackSettings } from './devstack-settings';
import { KAFKA_VERSION, ensureKafkaTopics } from './kafka.local';
import { addServer, createRolesAndDatabases, emptyPostgresEnv, POSTGRES_LAYOUT, SUPERUSER_PASSWORD, type LocalPostgresEnv } from './postgres.local';

type Control = DevstackEnv['controls'][string];

/** Every container the devstack may start, by fixed name so a later run can find it. */
export const CONTAINER_NAMES = ['pg-a', 'pg-b', 'redis', 'kafka'].map((component) => `bulkhead-devstack-${component}`);

/**
 * True when a Docker engine answers testcontainers' own runtime client within `timeoutMs`
 * (`docker --version` proves nothing: the client can exist without an engine).
 */
export async function hasContainerRuntime(timeoutMs = 5000): Promise<boolean> {
  const probe = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([probe, timeout]);
}

/**
 * Starts `container` under a fixed name on fixed host ports (a restarted container keeps
 * them), replacing whatever a failed earlier run left under that name. The devstack outlives
 * this process, so the reaper is off; `devstack down` removes the containers.
 */
async function startNamed(component: string, container: GenericContainer): Promise<Control> {
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  const name = `bulkhead-devstack-${component}`;
  removeContainers([name]);
  await container.withName(name).start();
  return { stop: ['docker', 'stop', name], start: ['docker', 'start', name] };
}

/** Removes the named containers if they exist (missing ones are not an error). */
export function removeContainers(names: readonly string[]): void {
  for (const name of names) spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
}

/** Two PostgreSQL containers with the same layout, roles and databases as the local clusters. */
export async function upContainerPostgres(settings: DevstackSettings): Promise<LocalPostgresEnv> {
  const env = emptyPostgresEnv();
  for (const [index, layout] of POSTGRES_LAYOUT.entries()) {
    const port = settings.postgresPorts[index] as number;
    env.controls[layout.server] = await startNamed(
      layout.server,
      new GenericContainer('postgres:15')
        .withEnvironment({ POSTGRES_PASSWORD: SUPERUSER_PASSWORD })
        .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
        .withExposedPorts({ container: 5432, host: port })
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)),
    );
    await createRolesAndDatabases(port, layout.databases);
    addServer(env, layout.server, port, layout.databases);
  }
  return env;
}

/** Redis 7 in a container on the devstack's Redis port, with an append-only file as the chart's Redis has. */
export async function upContainerRedis(settings: DevstackSettings): Promise<{ url: string; control: Control }> {
  const control = await startNamed(
    'redis',
    new GenericContainer('redis:7')
      .withCommand(['redis-server', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'])
      .withExposedPorts({ container: 6379, host: settings.redisPort })
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)),
  );
  return { url: `redis://127.0.0.1:${settings.redisPort}`, control };
}

/** apache/kafka of the pinned version; the broker advertises the fixed host port it is mapped to. */
export async function upContainerKafka(settings: DevstackSettings): Promise<{ brokers: string[]; control: Control }> {
  const hostPort = settings.kafkaPort;
  const container = new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/));
  const control = await startNamed('kafka', container);
  const brokers = [`127.0.0.1:${hostPort}`];
  await ensureKafkaTopics(brokers);
  return { brokers, control };
}
