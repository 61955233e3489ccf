import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureDebianPackages } from './debian-packages';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { assertPortFree, hasCommand, isPortOpen, livePid, run, stopPid, waitFor } from './processes';

/** The pinned broker: the last 3.x line, which removes no protocol version kafkajs 2.2.4 speaks. */
export const KAFKA_VERSION = '3.9.1';
export const KAFKA_TOPICS = [
  { topic: 'audit.events', numPartitions: 6 },
  { topic: 'audit.events.dlq', numPartitions: 1 },
] as const;
const READY_TIMEOUT_MS = 90_000;

function paths(settings: DevstackSettings) {
  const dir = path.join(settings.stateDir, 'kafka');
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    config: path.join(dir, 'server.properties'),
    log4j: path.join(dir, 'log4j.properties'),
    logFile: path.join(dir, 'kafka.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    clusterIdFile: path.join(dir, 'cluster-id'),
  };
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (22 characters). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** server.properties for one combined broker+controller node on loopback. */
export function renderServerProperties(options: { port: number; controllerPort: number; dataDir: string }): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${options.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${options.dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    // One broker: every internal topic has exactly one replica, or consumers wait forever for
    // a group coordinator.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=6',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka=INFO',
  'log4j.logger.org.apache.kafka=INFO',
  'log4j.logger.state.change.logger=WARN',
  '',
].join('\n');

function ensureJava(log: (l: string) => void): void {
  if (!hasCommand('java')) {
    log('Java not found: installing openjdk-17-jre-headless');
    ensureDebianPackages(['openjdk-17-jre-headless'], log);
  }
  if (!hasCommand('java')) {
    throw new DevstackError('Java not found: install a JDK 17 or newer (apt-get install openjdk-17-jre-headless) and retry');
  }
}

/** The broker's jars, from Maven Central through a cache in the home directory. */
function ensureJars(settings: DevstackSettings, log: (l: string) => void): string {
  const pom = path.join(settings.workspace, 'tools', 'devstack', 'kafka', 'pom.xml');
  const key = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const libs = path.join(settings.cacheDir, `kafka-${KAFKA_VERSION}-${key}`, 'libs');
  const complete = path.join(libs, '.complete');
  if (existsSync(complete)) return libs;
  if (!hasCommand('mvn')) ensureDebianPackages(['maven'], log);
  log(`collecting Kafka ${KAFKA_VERSION} jars with Maven into ${libs}`);
  run(
    'mvn',
    ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
    `downloading org.apache.kafka:kafka_2.13:${KAFKA_VERSION} with Maven failed: run "mvn -f ${pom} dependency:copy-dependencies" to see why`,
  );
  if (!readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new DevstackError(`Maven finished but ${libs} has no kafka_2.13 jar: delete that folder and retry`);
  }
  writeFileSync(complete, new Date().toISOString());
  return libs;
}

/** Formats the log dir for `clusterId` unless it already is; a half-formatted dir is wiped. */
function ensureFormatted(libs: string, p: ReturnType<typeof paths>, log: (l: string) => void): void {
  const meta = path.join(p.dataDir, 'meta.properties');
  const clusterId = existsSync(p.clusterIdFile) ? readFileSync(p.clusterIdFile, 'utf8').trim() : '';
  if (clusterId !== '' && existsSync(meta) && readFileSync(meta, 'utf8').includes(`cluster.id=${clusterId}`)) return;
  const fresh = newClusterId();
  rmSync(p.dataDir, { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true });
  log(`formatting Kafka storage (cluster ${fresh})`);
  run(
    'java',
    ['-cp', `${libs}/*`, `-Dlog4j.configuration=file:${p.log4j}`, 'kafka.tools.StorageTool', 'format', '-t', fresh, '-c', p.config],
    `formatting Kafka storage in ${p.dataDir} failed`,
  );
  writeFileSync(p.clusterIdFile, fresh);
}

function startBroker(libs: string, p: ReturnType<typeof paths>): number {
  const out = openSync(p.logFile, 'a');
  const child = spawn(
    'java',
    ['-Xmx512m', '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${p.log4j}`, '-cp', `${libs}/*`, 'kafka.Kafka', p.config],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  if (child.pid === undefined) throw new DevstackError('starting the Kafka JVM failed: is java on PATH?');
  writeFileSync(p.pidFile, String(child.pid));
  return child.pid;
}

async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ clientId: 'devstack', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
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

async function ensureTopics(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'devstack', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = KAFKA_TOPICS.filter((t) => !existing.has(t.topic)).map((t) => ({ ...t, replicationFactor: 1 }));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * A real Apache Kafka broker in KRaft mode, run from its Maven Central jars with the installed
 * Java. Readiness is an admin client that lists topics, not a sleep; one restart is tried when
 * the first start does not become ready (a KRaft election can time out on a loaded machine).
 */
export async function upLocalKafka(settings: DevstackSettings, log: (l: string) => void): Promise<string[]> {
  const p = paths(settings);
  const brokers = [`127.0.0.1:${settings.kafkaPort}`];
  mkdirSync(p.dir, { recursive: true });
  if (livePid(p.pidFile) !== undefined && (await brokerAnswers(brokers))) {
    await ensureTopics(brokers);
    return brokers;
  }
  ensureJava(log);
  const libs = ensureJars(settings, log);
  writeFileSync(p.config, renderServerProperties({ port: settings.kafkaPort, controllerPort: settings.kafkaControllerPort, dataDir: p.dataDir }));
  writeFileSync(p.log4j, LOG4J_PROPERTIES);
  ensureFormatted(libs, p, log);

  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const stale = livePid(p.pidFile);
    if (stale !== undefined) await stopPid(stale);
    await assertPortFree(settings.kafkaPort, 'Kafka', PORT_VARIABLES.kafka);
    await assertPortFree(settings.kafkaControllerPort, 'Kafka controller', PORT_VARIABLES.kafkaController);
    log(`starting Kafka ${KAFKA_VERSION} on port ${settings.kafkaPort}${attempt > 1 ? ' (retry)' : ''}`);
    const pid = startBroker(libs, p);
    const ready = await waitFor(async () => livePid(p.pidFile) === pid && (await isPortOpen(settings.kafkaPort)) && (await brokerAnswers(brokers)), READY_TIMEOUT_MS, 500);
    if (ready) {
      await ensureTopics(brokers);
      return brokers;
    }
    await stopPid(pid, 10_000);
  }
  throw new DevstackError(`Kafka did not become ready within ${READY_TIMEOUT_MS / 1000} s, twice: see ${p.logFile}`);
}

export async function downLocalKafka(settings: DevstackSettings, purge: boolean): Promise<void> {
  const p = paths(settings);
  const pid = livePid(p.pidFile);
  if (pid !== undefined) await stopPid(pid);
  if (purge) rmSync(p.dir, { recursive: true, force: true });
}
