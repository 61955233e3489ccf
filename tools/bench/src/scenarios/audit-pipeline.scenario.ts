import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { auditMessageOf, recordAuditEvent, type AuditEventInput } from '@bulkhead/audit';
import { createInMemoryPlacementSource, createShardRouter, openTenantDatabase, shardMigrationsDir, uuidv7, type ShardRouter } from '@bulkhead/database';
import { loadDevstackEnv, migrateDevstack, startPlatform, workspaceRoot, type DevstackEnv } from '@bulkhead/testkit';
import { Pool } from 'pg';
import type { Scenario } from '../harness';
import { openBareAuditPipeline } from './bare-audit-pipeline/bare-audit-pipeline';
import { produce } from './kafka-roundtrip.scenario';
import { countReceived, openRawKafka } from './raw-kafka';

const EVENTS_PER_ROUND = 4000;
const TENANTS = 20;
const INSERT_BATCH = 500;
const sampleInput: AuditEventInput = {
  actor: { type: 'user', id: 'bench' },
  action: 'project.updated',
  resource: { type: 'project', id: 'p' },
  outcome: 'success',
  changes: { after: { description: 'x'.repeat(200) } },
};

/** H = 1/(1/A + 1/B): raw kafkajs produce+consume (A), then raw batched INSERTs (B) of the same events, one after the other. */
interface RawHalves {
  run(count: number): Promise<void>;
  close(): Promise<void>;
}

async function openRawHalves(devstack: DevstackEnv): Promise<RawHalves> {
  // B copies the log's table, which must exist even on a devstack nothing has migrated yet.
  migrateDevstack(devstack);
  const kafka = await openRawKafka(devstack.kafkaBrokers);
  const topic = await kafka.topic('audit-a');
  const received = countReceived();
  await kafka.consume(topic, received.onBatch);

  // B: the same columns as the log, in a scratch table of the same database.
  const auditDb = new Pool({ connectionString: devstack.auditDatabase.ownerUrl, max: 2 });
  const scratch = `bench_audit_insert_${randomUUID().slice(0, 8)}`;
  await auditDb.query(`CREATE TABLE ${scratch} (LIKE audit_events INCLUDING DEFAULTS)`);
  const sampleEvent = JSON.stringify({ actor: { type: 'user', id: randomUUID() }, action: 'project.updated', resource: { type: 'project', id: randomUUID() }, outcome: 'success', changes: { after: { description: 'x'.repeat(200) } } });
  let seq = 0;
  const insertRaw = async (count: number) => {
    for (let done = 0; done < count; done += INSERT_BATCH) {
      const size = Math.min(INSERT_BATCH, count - done);
      const ids = Array.from({ length: size }, () => uuidv7());
      const seqs = Array.from({ length: size }, () => ++seq);
      await auditDb.query(
        `INSERT INTO ${scratch} (tenant_id, seq, id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, event, prev_hash, hash)
         SELECT $1::uuid, s, i, now(), 'user', 'bench', 'project.updated', 'project', 'p', 'success', $2::jsonb, repeat('0', 64), repeat('f', 64)
           FROM unnest($3::bigint[], $4::uuid[]) AS t(s, i)`,
        [randomUUID(), sampleEvent, seqs, ids],
      );
    }
  };

  return {
    async run(count) {
      const allReceived = received.next(count);
      await produce(kafka.producer, topic, count);
      await allReceived;
      await insertRaw(count);
    },
    async close() {
      await kafka.close();
      await auditDb.query(`DROP TABLE ${scratch}`);
      await auditDb.end();
    },
  };
}

/** A drain of events through a pipeline (Bulkhead's or the bare one). */
interface PipelineDrain {
  drain(count: number): Promise<number>;
  close(): Promise<void>;
}

const H_NAME = 'H: raw kafkajs produce+consume (A), then raw batched INSERTs (B), same events';
const BULKHEAD_NAME = 'outbox → relay → Kafka → consumer → hash-chained log, from the outbox commits to the last logged';
const BARE_NAME = 'bare pipeline: raw pg outbox → raw kafkajs → raw pg log (no RLS, no validation, two indexes), same events';

/** A round of H: EVENTS_PER_ROUND events through A, then B. */
const hWorkload = (halves: RawHalves) => ({ name: H_NAME, run: async () => (await halves.run(EVENTS_PER_ROUND), { operations: EVENTS_PER_ROUND }) });
/** A round of a pipeline: EVENTS_PER_ROUND events drained, timed from their commit to the last logged. */
const drainWorkload = (name: string, pipeline: PipelineDrain) => ({ name, run: async () => ({ operations: EVENTS_PER_ROUND, timedMs: await pipeline.drain(EVENTS_PER_ROUND) }) });
/** Closes both sides of a scenario. */
const closeBoth = (a: { close(): Promise<void> }, b: { close(): Promise<void> }) => async (): Promise<void> => {
  await a.close();
  await b.close();
};

/**
 * The audit pipeline (issue 5): outbox rows on the shards → the audit service's relay → Kafka →
 * its consumer → committed in the hash-chained log, against H = 1/(1/A + 1/B), where A is raw
 * kafkajs produce+consume and B raw batched inserts into the same audit database. The baseline
 * does the two raw halves one after the other on the same number of events, so its throughput
 * is exactly H. The subject writes the events through the real outbox and counts them logged.
 */
export const auditPipelineScenario: Scenario = {
  name: 'audit-pipeline',
  description: `${EVENTS_PER_ROUND} audit events of ${TENANTS} tenants per round: outbox → relay → Kafka → consumer → log vs H = 1/(1/A + 1/B) of raw kafkajs and raw batched inserts`,
  async prepare() {
    const devstack = loadDevstackEnv();
    const halves = await openRawHalves(devstack);
    const outbox = await openBulkheadPipeline(devstack);
    return {
      baseline: hWorkload(halves),
      subject: drainWorkload(BULKHEAD_NAME, outbox),
      target: { minRatio: 0.7, meaning: 'the audit pipeline ≥ 70% of H = 1/(1/A + 1/B)' },
      close: closeBoth(halves, outbox),
    };
  },
};

/**
 * What the pipeline the issue requires can reach here at all: the same drain through a bare
 * pipeline of raw pg and kafkajs (see {@link openBareAuditPipeline}), against H.
 */
export const auditPipelineBareScenario: Scenario = {
  name: 'audit-pipeline-bare',
  description: `${EVENTS_PER_ROUND} audit events of ${TENANTS} tenants per round: a bare pipeline of raw pg and kafkajs vs H`,
  async prepare() {
    const devstack = loadDevstackEnv();
    const halves = await openRawHalves(devstack);
    const bare = await openBarePipeline(devstack);
    return { baseline: hWorkload(halves), subject: drainWorkload(BARE_NAME, bare), close: closeBoth(halves, bare) };
  },
};

/** Bulkhead's pipeline against the bare one, on the same drain: what Bulkhead's own code costs. */
export const auditPipelineVsBareScenario: Scenario = {
  name: 'audit-pipeline-vs-bare',
  description: `${EVENTS_PER_ROUND} audit events of ${TENANTS} tenants per round: Bulkhead's pipeline vs the bare one`,
  async prepare() {
    const devstack = loadDevstackEnv();
    const bare = await openBarePipeline(devstack);
    const outbox = await openBulkheadPipeline(devstack);
    return { baseline: drainWorkload(BARE_NAME, bare), subject: drainWorkload(BULKHEAD_NAME, outbox), close: closeBoth(bare, outbox) };
  },
};

async function openBulkheadPipeline(devstack: DevstackEnv): Promise<PipelineDrain> {
  const auditDb = new Pool({ connectionString: devstack.auditDatabase.ownerUrl, max: 2 });
  const outbox = await openBenchOutbox(auditDb);
  return {
    drain: (count) => outbox.drain(count),
    close: async () => {
      await outbox.close();
      await auditDb.end();
    },
  };
}

/** The bare pipeline over TENANTS tenants spread evenly over the shards, writing envelopes like the real ones. */
async function openBarePipeline(devstack: DevstackEnv): Promise<PipelineDrain> {
  const router = createShardRouter({ shards: devstack.shards.map((shard) => ({ id: shard.id, url: shard.url })), placements: createInMemoryPlacementSource() });
  const tenants = await Promise.all((await tenantsSpreadOverShards(router, devstack.shards.length)).map(async (tenantId) => ({ tenantId, shardUrl: (await router.shardFor(tenantId)).url })));
  const bare = await openBareAuditPipeline(devstack, tenants);
  return {
    drain: (count) => bare.drain((tenantId) => auditMessageOf(tenantId, sampleInput).value, count),
    close: () => bare.close(),
  };
}

/**
 * TENANTS new tenant ids, as many on every shard (a platform's many tenants spread evenly; a
 * handful drawn at random would load one shard's relay loop with most of the events).
 */
async function tenantsSpreadOverShards(router: Pick<ShardRouter, 'shardFor'>, shardCount: number): Promise<string[]> {
  const perShard = Math.ceil(TENANTS / shardCount);
  const counts = new Map<string, number>();
  const tenants: string[] = [];
  while (tenants.length < TENANTS) {
    const tenantId = uuidv7();
    const { id } = await router.shardFor(tenantId);
    if ((counts.get(id) ?? 0) >= perShard) continue;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    tenants.push(tenantId);
  }
  return tenants;
}

/** Events recorded through the real outbox of the shards, in the transactions of TENANTS tenants. */
export interface BenchOutbox {
  tenants: readonly string[];
  /**
   * Writes `count` events, one open transaction per tenant, and commits them all at once; the
   * clock starts at the commits (before them the relay cannot see a row) and stops when all
   * are in the log. Returns the milliseconds.
   */
  drain(count: number): Promise<number>;
  /** Records one event in its own transaction of the `index`-th tenant (round robin). */
  recordOne(index: number): Promise<void>;
  /** Resolves once every event recorded so far is in the log. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the audit service (relay and consumer) and opens the shards to write their outboxes. */
export async function openBenchOutbox(auditDb: Pool): Promise<BenchOutbox> {
  const devstack = loadDevstackEnv();
  // auth only serves the JWKS the audit service verifies tokens with; it never calls org here.
  const platform = await startPlatform({ services: ['auth', 'audit'], devstack, env: { auth: { ORG_GRPC_ADDRESS: '127.0.0.1:9', PROJECT_GRPC_ADDRESS: '127.0.0.1:9' }, audit: { LOG_LEVEL: 'error' } } });
  const shards = await openTenantDatabase({
    shards: devstack.shards.map((shard) => ({ id: shard.id, url: shard.url })),
    maxPerServer: TENANTS,
    placementDatabaseUrl: devstack.identityDatabase.url,
    placementCacheTtlMs: 60_000,
    migrationsDir: shardMigrationsDir(path.join(workspaceRoot(), 'services'), 'audit'),
    scope: 'audit',
  });
  const tenants = await tenantsSpreadOverShards(shards.router, devstack.shards.length);
  // Each tenant's chain head holds the sequence number of its last logged event, committed with
  // it: their sum is the number logged, read in TENANTS key lookups. (Counting the log's rows
  // cost the audit database a scan that grew with every round, every 5 ms.)
  const logged = async () =>
    Number((await auditDb.query<{ n: string }>('SELECT coalesce(sum(seq), 0) AS n FROM audit_chain_heads WHERE tenant_id = ANY($1::uuid[])', [tenants])).rows[0]?.n ?? 0);
  let expectedLogged = 0;
  const caughtUp = async (): Promise<void> => {
    while ((await logged()) < expectedLogged) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const drain = async (count: number): Promise<number> => {
    let release = (): void => undefined;
    const committing = new Promise<void>((resolve) => (release = resolve));
    let writing = TENANTS;
    let allWritten = (): void => undefined;
    const written = new Promise<void>((resolve) => (allWritten = resolve));
    const transactions = tenants.map((tenantId, index) =>
      shards.withTenant({ tenantId }, async (tx) => {
        for (let i = index; i < count; i += TENANTS) await recordAuditEvent(tx, sampleInput);
        if (--writing === 0) allWritten();
        await committing;
      }),
    );
    await written;
    expectedLogged += count;
    const started = performance.now();
    release();
    await Promise.all(transactions);
    await caughtUp();
    return performance.now() - started;
  };
  const recordOne = async (index: number): Promise<void> => {
    expectedLogged++;
    await shards.withTenant({ tenantId: tenants[index % TENANTS] as string }, (tx) => recordAuditEvent(tx, sampleInput));
  };
  return {
    tenants,
    drain,
    recordOne,
    caughtUp,
    async close() {
      await shards.close();
      await platform.stop();
    },
  };
}
