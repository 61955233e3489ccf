import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureDebianPackages } from './debian-packages';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { answersKafka } from './health';
import { assertPortFree } from './ports';
import { hasCommand, livePid, processCommandLine, run, stopPid, waitFor } from './processes';

/** The pinned broker: the last 3.x line, which removes no protocol version kafkajs 2.2.4 speaks. */
export const KAFKA_VERSION = '3.9.1';

/** The topics the platform needs, created idempotently on every `up`. */
export const KAFKA_TOPICS = [
  { topic: 'audit.events', numPartitions: 6 },
  { topic: 'audit.events.dlq', numPartitions: 1 },
] as const;

const READY_TIMEOUT_MS = 90_000;
/** Named in full so Maven neither picks its default version nor resolves the `dependency:` prefix remotely. */
const COPY_DEPENDENCIES = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';
const MIN_JAVA = 17;
const JRE_PACKAGE = 'openjdk-17-jre-headless';

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
type KafkaPaths = ReturnType<typeof paths>;

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

/** The major version in `java -version` output (`"17.0.15"` → 17, `"1.8.0_292"` → 8). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

function ensureJava(log: (l: string) => void): void {
  const advice = `install a JDK ${MIN_JAVA} or newer (apt-get install ${JRE_PACKAGE}) and retry`;
  if (!hasCommand('java')) {
    log(`Java not found: installing ${JRE_PACKAGE}`);
    try {
      ensureDebianPackages([JRE_PACKAGE], log);
    } catch (err) {
      throw new DevstackError(`Java not found and ${err instanceof Error ? err.message : String(err)}: ${advice}`);
    }
    if (!hasCommand('java')) throw new DevstackError(`Java not found: ${advice}`);
  }
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const major = javaMajorVersion(`${probe.stderr}${probe.stdout}`);
  if (major === undefined || major < MIN_JAVA) {
    throw new DevstackError(`Java ${major ?? '(unknown version)'} is too old for Kafka ${KAFKA_VERSION}: ${advice}`);
  }
}

/**
 * The line of Maven's output that says what failed: the artifact it could not get when it
 * names one, else its first error line.
 */
export function mavenFailure(output: string): string {
  // eslint-disable-next-line no-control-regex -- Maven colours its output even in batch mode.
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim());
  const artifact = lines.map((l) => /Could not (?:resolve|transfer|find) artifact (\S+)/.exec(l)).find((m) => m !== null);
  if (artifact !== undefined && artifact !== null) return `could not get ${artifact[1]}`;
  const errors = lines.filter((l) => l.startsWith('[ERROR]')).map((l) => l.replace(/^\[ERROR\]\s*/, '').replace(/\s*-> \[Help \d+\]$/, ''));
  return errors.find((l) => l !== '') ?? lines.filter((l) => l !== '').pop() ?? 'no output';
}

/** The broker's jars, from Maven Central through a cache in the home directory. */
function ensureJars(settings: DevstackSettings, log: (l: string) => void): string {
  const pom = path.join(settings.workspace, 'tools', 'devstack', 'kafka', 'pom.xml');
  const key = createHash('sha256').update(readFileSync(pom)).update(COPY_DEPENDENCIES).digest('hex').slice(0, 12);
  const libs = path.join(settings.cacheDir, `kafka-${KAFKA_VERSION}-${key}`, 'libs');
  const complete = path.join(libs, '.complete');
  if (existsSync(complete)) return libs;
  if (!hasCommand('mvn')) ensureDebianPackages(['maven'], log);
  log(`collecting Kafka ${KAFKA_VERSION} jars with Maven into ${libs}`);
  const result = spawnSync(
    'mvn',
    ['-B', '-q', '-f', pom, COPY_DEPENDENCIES, '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? mavenFailure(`${result.stdout}\n${result.stderr}`);
    throw new DevstackError(
      `Maven could not collect org.apache.kafka:kafka_2.13:${KAFKA_VERSION} (${why}): check access to Maven Central, or run "mvn -f ${pom} ${COPY_DEPENDENCIES}" to see more`,
    );
  }
  if (!readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new DevstackError(`Maven finished but ${libs} has no kafka_2.13 jar: delete that folder and retry`);
  }
  writeFileSync(complete, new Date().toISOString());
  return libs;
}

/** Formats the log dir unless it already is, for the recorded cluster id; a half-formatted dir is wiped. */
function ensureFormatted(libs: string, p: KafkaPaths, log: (l: string) => void): void {
  const meta = path.join(p.dataDir, 'meta.properties');
  const clusterId = existsSync(p.clusterIdFile) ? readFileSync(p.clusterIdFile, 'utf8').trim() : '';
  const formatted = existsSync(meta) ? readFileSync(meta, 'utf8').split('\n') : [];
  if (clusterId !== '' && formatted.includes(`cluster.id=${clusterId}`) && formatted.includes('node.id=1')) return;
  const fresh = newClusterId();
  rmSync(p.clusterIdFile, { force: true });
  rmSync(p.dataDir, { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true });
  log(`formatting Kafka storage (cluster ${fresh})`);
  run(
    'java',
    ['-cp', `${libs}/*`, `-Dlog4j.configuration=file:${p.log4j}`, 'kafka.tools.StorageTool', 'format', '-t', fresh, '-c', p.config],
    `formatting Kafka storage in ${p.dataDir} failed: run "npm run devstack -- up" again to retry from scratch`,
  );
  writeFileSync(p.clusterIdFile, fresh);
}

function startBroker(libs: string, p: KafkaPaths): number {
  const out = openSync(p.logFile, 'w');
  const child = spawn(
    'java',
    ['-Xmx512m', '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${p.log4j}`, '-cp', `${libs}/*`, 'kafka.Kafka', p.config],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new DevstackError('starting the Kafka JVM failed: is java on PATH?');
  writeFileSync(p.pidFile, String(child.pid));
  return child.pid;
}

/** Creates the platform's topics ({@link KAFKA_TOPICS}) that do not exist yet. */
export async function ensureKafkaTopics(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'devstack', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = KAFKA_TOPICS.filter((t) => !existing.has(t.topic)).map((t) => ({ ...t, replicationFactor: 1 }));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    throw new DevstackError(`creating the Kafka topics ${KAFKA_TOPICS.map((t) => t.topic).join(', ')} failed (${err instanceof Error ? err.message : String(err)}): run "npm run devstack -- up" again`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Waits until the broker answers; gives up early when the JVM has exited. */
async function awaitReady(pid: number, brokers: string[], timeoutMs: number): Promise<boolean> {
  let exited = false;
  const ready = await waitFor(
    async () => {
      exited = processCommandLine(pid) === '';
      return exited || (await answersKafka(brokers));
    },
    timeoutMs,
    500,
  );
  return ready && !exited;
}

/**
 * A real Apache Kafka broker in KRaft mode, run from its Maven Central jars with the installed
 * Java. Readiness is an admin client that lists topics, not a sleep; one restart is tried when
 * the first start does not become ready (a KRaft election can time out on a loaded machine).
 */
export async function upLocalKafka(settings: DevstackSettings, log: (l: string) => void): Promise<string[]> {
  const p = paths(settings);
  const brokers = [`127.0.0.1:${settings.kafkaPort}`];
  const marker = `kafka.Kafka ${p.config}`;
  const properties = renderServerProperties({ port: settings.kafkaPort, controllerPort: settings.kafkaControllerPort, dataDir: p.dataDir });
  const running = livePid(p.pidFile, marker);
  const sameConfig = existsSync(p.config) && readFileSync(p.config, 'utf8') === properties;
  if (running !== undefined && sameConfig && (await answersKafka(brokers))) {
    await ensureKafkaTopics(brokers);
    return brokers;
  }
  if (running !== undefined) {
    log('restarting Kafka (not answering, or its ports changed)');
    await stopPid(running);
  }
  await assertPortFree(settings.kafkaPort, 'Kafka', PORT_VARIABLES.kafka);
  await assertPortFree(settings.kafkaControllerPort, 'Kafka controller', PORT_VARIABLES.kafkaController);
  ensureJava(log);
  const libs = ensureJars(settings, log);
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(p.config, properties);
  writeFileSync(p.log4j, LOG4J_PROPERTIES);
  ensureFormatted(libs, p, log);

  for (let attempt = 1; attempt <= 2; attempt += 1) {
    log(`starting Kafka ${KAFKA_VERSION} on port ${settings.kafkaPort}${attempt > 1 ? ' (retry)' : ''}`);
    const pid = startBroker(libs, p);
    if (await awaitReady(pid, brokers, READY_TIMEOUT_MS)) {
      await ensureKafkaTopics(brokers);
      return brokers;
    }
    await stopPid(pid, 10_000);
  }
  throw new DevstackError(`Kafka did not become ready on port ${settings.kafkaPort} (two starts, up to ${READY_TIMEOUT_MS / 1000} s each): see ${p.logFile}`);
}

/** SIGKILLs the devstack's broker if it runs (no controlled shutdown), and waits until it is gone. */
export async function killLocalKafka(settings: DevstackSettings): Promise<void> {
  const p = paths(settings);
  const pid = livePid(p.pidFile, `kafka.Kafka ${p.config}`);
  if (pid === undefined) return;
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => processCommandLine(pid) === '', 10_000, 50);
}

/** Stops the devstack's broker if it runs; `purge` also deletes its data and logs. */
export async function downLocalKafka(settings: DevstackSettings, purge: boolean): Promise<void> {
  const p = paths(settings);
  const pid = livePid(p.pidFile, `kafka.Kafka ${p.config}`);
  if (pid !== undefined) await stopPid(pid);
  if (purge) rmSync(p.dir, { recursive: true, force: true });
}
