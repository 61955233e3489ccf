import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { Client } from 'pg';
import type { DevstackEnv } from '@bulkhead/testkit';
import { KAFKA_TOPICS, KAFKA_VERSION } from './kafka.local';
import { APP_ROLE, OWNER_ROLE, POSTGRES_LAYOUT } from './postgres.local';
import type { PostgresEnv } from './external';

/**
 * True when a Docker engine answers testcontainers' own runtime client (`docker --version`
 * proves nothing: the client can exist without an engine).
 */
export async function hasContainerRuntime(timeoutMs = 5000): Promise<boolean> {
  const probe = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([probe, timeout]);
}

// The devstack outlives this process: containers are left running (no reaper) and stopped by
// `devstack down` through the recorded controls.
process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';

function controlsFor(container: StartedTestContainer): DevstackEnv['controls'][string] {
  return { stop: ['docker', 'stop', container.getId()], start: ['docker', 'start', container.getId()] };
}

/** Two PostgreSQL containers with the same layout, roles and databases as the local clusters. */
export async function upContainerPostgres(): Promise<PostgresEnv & Pick<DevstackEnv, 'controls'>> {
  const env: PostgresEnv & Pick<DevstackEnv, 'controls'> = {
    postgresServers: [],
    shards: [],
    identityDatabase: { server: '', url: '', ownerUrl: '' },
    auditDatabase: { server: '', url: '', ownerUrl: '' },
    controls: {},
  };
  for (const layout of POSTGRES_LAYOUT) {
    const container = await new GenericContainer('postgres:15')
      .withEnvironment({ POSTGRES_PASSWORD: 'bulkhead' })
      .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    const port = container.getMappedPort(5432);
    const host = container.getHost();
    const at = (user: string, db: string) => `postgres://${user}:${user === 'postgres' ? 'bulkhead' : user}@${host}:${port}/${db}`;
    const admin = new Client({ connectionString: at('postgres', 'postgres') });
    await admin.connect();
    for (const role of [OWNER_ROLE, APP_ROLE]) await admin.query(`CREATE ROLE ${role} LOGIN NOBYPASSRLS PASSWORD '${role}'`);
    for (const db of layout.databases) {
      await admin.query(`CREATE DATABASE ${db} OWNER ${OWNER_ROLE}`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${APP_ROLE}`);
      const entry = { server: layout.server, url: at(APP_ROLE, db), ownerUrl: at(OWNER_ROLE, db) };
      const shard = /^bulkhead_shard_(\d+)$/.exec(db);
      if (shard !== null) env.shards.push({ id: `shard-${shard[1]}`, ...entry });
      else if (db === 'bulkhead_identity') env.identityDatabase = entry;
      else env.auditDatabase = entry;
    }
    await admin.end();
    for (const db of layout.databases) {
      const client = new Client({ connectionString: at('postgres', db) });
      await client.connect();
      await client.query(`ALTER SCHEMA public OWNER TO ${OWNER_ROLE}; GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
      await client.end();
    }
    env.postgresServers.push({ id: layout.server, superuserUrl: at('postgres', 'postgres') });
    env.controls[layout.server] = controlsFor(container);
  }
  return env;
}

export async function upContainerRedis(): Promise<{ url: string; controls: DevstackEnv['controls'][string] }> {
  const container = await new GenericContainer('redis:7').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start();
  return { url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`, controls: controlsFor(container) };
}

/** apache/kafka of the pinned version; the broker advertises the fixed host port it is mapped to. */
export async function upContainerKafka(hostPort: number): Promise<{ brokers: string[]; controls: DevstackEnv['controls'][string] }> {
  const container = await new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const brokers = [`127.0.0.1:${hostPort}`];
  for (const { topic, numPartitions } of KAFKA_TOPICS) {
    await container.exec(['/opt/kafka/bin/kafka-topics.sh', '--bootstrap-server', 'localhost:9092', '--create', '--if-not-exists', '--topic', topic, '--partitions', String(numPartitions)]);
  }
  return { brokers, controls: controlsFor(container) };
}
