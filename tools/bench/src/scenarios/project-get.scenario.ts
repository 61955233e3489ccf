import { loadConfig, shardedServiceConfigShape } from '@bulkhead/config';
import { createInMemoryPlacementSource, createShardRouter, poolSizesOf } from '@bulkhead/database';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { closedLoop, type PreparedScenario, type Scenario, type ScenarioOptions, type Workload } from '../harness';
import { startBareReadPath, type BareReadPath } from './bare-read-path/bare-read-path';
import { GET_PROJECT } from './bare-read-path/bare-read-path.shared';
import { startIdentityPlatform } from './identity-platform';
import { findPgbench, runPgbench } from './pgbench';

/** The project service's default SHARD_SERVER_POOL_SIZE: the bare read path's pool is the shard's share of it. */
const { SHARD_SERVER_POOL_SIZE } = loadConfig({ SHARD_SERVER_POOL_SIZE: shardedServiceConfigShape.SHARD_SERVER_POOL_SIZE }, {});

/** The three ways of reading one project, each a workload at the same client count. */
interface ProjectReads {
  /** pgbench running the service's SELECT in a tenant transaction on the project's shard. */
  pgbench: Workload;
  /** `GET /v1/projects/{id}` through Bulkhead's gateway and project service. */
  bulkhead: Workload;
  /** Starts the same request through fastify → grpc-js → pg with nothing of Bulkhead's; closed with the rest. */
  startBare(): Promise<Workload>;
  close(): Promise<void>;
}

/** A closed loop of `GET /v1/projects/{id}` against `baseUrl` from an undici pool of `concurrency`. */
function restReads(name: string, baseUrl: string, projectId: string, options: ScenarioOptions, headers: Record<string, string>) {
  // pgbench is a C client; Node's fetch costs this process ~0.8 ms of CPU per request, taken from
  // the services under test on a small machine. undici's pool (the engine under fetch, without
  // the WHATWG layers) sends the same keep-alive requests for ~0.1 ms.
  const pool = new Pool(baseUrl, { connections: options.concurrency });
  const get = async (): Promise<void> => {
    const { statusCode, body } = await pool.request({ method: 'GET', path: `/v1/projects/${projectId}`, headers });
    await body.arrayBuffer();
    if (statusCode !== 200) throw new Error(`GET ${baseUrl}/v1/projects/${projectId} answered ${statusCode}`);
  };
  return { workload: { name, run: () => closedLoop(options.durationMs, options.concurrency, get) }, close: () => pool.close() };
}

/** Signs up a user, creates a project through the gateway, and opens the reads of it. */
async function openProjectReads(options: ScenarioOptions): Promise<ProjectReads> {
  const devstack = loadDevstackEnv();
  const identity = await startIdentityPlatform();
  const { sub, tid } = identity.claims;
  const id = await identity.createProject('Bench project');

  const shards = devstack.shards.map((s) => ({ id: s.id, url: s.url }));
  const shard = await createShardRouter({ shards, placements: createInMemoryPlacementSource() }).shardFor(tid);
  const workDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-bench-'));
  const script = path.join(workDir, 'get-project.sql');
  writeFileSync(
    script,
    [
      'BEGIN;',
      `SELECT set_config('app.tenant_id', '${tid}', true);`,
      // pgbench variables are numbers: the ids (UUIDs our own platform made) go in as literals, and
      // the colons of the time format are spelled chr(58) so pgbench does not take them for variables.
      `${GET_PROJECT.replace(/\n\s*/g, ' ')
        .replace('$1', `'${tid}'`)
        .replace('$2', `'${id}'`)
        .replace('$3', `'${sub}'`)
        .replace('HH24:MI:SS', "HH24' || chr(58) || 'MI' || chr(58) || 'SS")};`,
      'COMMIT;',
      '',
    ].join('\n'),
  );
  const pgbench = findPgbench();
  const bulkhead = restReads(`GET /v1/projects/{id} through the gateway (undici pool of ${options.concurrency})`, identity.platform.gatewayUrl, id, options, {
    authorization: `Bearer ${identity.accessToken}`,
  });
  let bareStack: BareReadPath | undefined;
  let bare: ReturnType<typeof restReads> | undefined;
  return {
    pgbench: {
      name: `pgbench -c ${options.concurrency}: BEGIN, set_config, the SELECT, COMMIT on ${shard.id}`,
      run: () => runPgbench(pgbench, shard.url, script, options.concurrency, options.durationMs),
    },
    bulkhead: bulkhead.workload,
    async startBare() {
      bareStack = await startBareReadPath({ shardUrl: shard.url, tenantId: tid, userId: sub, poolSize: poolSizesOf(shards, SHARD_SERVER_POOL_SIZE).get(shard.id) ?? 1 });
      bare = restReads(`the same GET through bare fastify → grpc-js → pg (undici pool of ${options.concurrency})`, bareStack.gatewayUrl, id, options, {});
      return bare.workload;
    },
    async close() {
      rmSync(workDir, { recursive: true, force: true });
      await Promise.all([bulkhead.close(), bare?.close(), bareStack?.stop()]);
      await identity.platform.stop();
    },
  };
}

/**
 * The whole read path: `GET /v1/projects/{id}` through the gateway (token check, rate limit)
 * → project service over gRPC (token check again, permission table) → the tenant's shard in a
 * transaction with `app.tenant_id` under RLS, vs pgbench running the same SELECT in the same
 * kind of transaction (BEGIN, set_config, SELECT, COMMIT) as the service role on the same shard,
 * with the same client count.
 */
export const projectGetScenario: Scenario = {
  name: 'project-get',
  description: 'GET /v1/projects/{id} through gateway → project → shard vs pgbench running the same SELECT in a tenant transaction',
  async prepare(options): Promise<PreparedScenario> {
    const reads = await openProjectReads(options);
    return {
      baseline: reads.pgbench,
      subject: reads.bulkhead,
      target: { minRatio: 0.2, meaning: 'the whole REST → gRPC → shard read ≥ 20% of pgbench running its SELECT' },
      close: () => reads.close(),
    };
  },
};

/**
 * The ceiling of `project-get` on this machine: the same request through the raw libraries the
 * platform is built on (fastify, grpc-js with the generated codec, pg), in two processes like the
 * services, vs pgbench. No Bulkhead code can make the real path faster than this.
 */
export const projectGetBareScenario: Scenario = {
  name: 'project-get-bare',
  description: 'GET /v1/projects/{id} through bare fastify → grpc-js → pg (no Bulkhead code) vs pgbench running the same SELECT',
  async prepare(options): Promise<PreparedScenario> {
    const reads = await openProjectReads(options);
    return { baseline: reads.pgbench, subject: await reads.startBare(), close: () => reads.close() };
  },
};

/**
 * What Bulkhead adds to the read path (token checks, rate limit, permission table, RLS tenant
 * context, validation, logs, traces, metrics): its `GET /v1/projects/{id}` vs the bare libraries'.
 */
export const projectGetVsBareScenario: Scenario = {
  name: 'project-get-vs-bare',
  description: "GET /v1/projects/{id} through Bulkhead's gateway → project → shard vs the same request through the bare libraries",
  async prepare(options): Promise<PreparedScenario> {
    const reads = await openProjectReads(options);
    return { baseline: await reads.startBare(), subject: reads.bulkhead, close: () => reads.close() };
  },
};
