import { sendBatch } from '@bulkhead/database';
import { loadDevstackEnv, startPlatform } from '@bulkhead/testkit';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Scenario, WorkloadResult } from '../harness';

const RUNS_PER_ROUND = 1000;
const IDLE_RUNS_PER_ROUND = 100;

/**
 * The platform both workflow scenarios run against, with one enterprise organization (50
 * concurrent runs), a project, a `transform` agent and a one-step workflow calling it; the
 * workers keep their default poll interval.
 */
async function workflowPlatform(workerConcurrency: number) {
  const devstack = loadDevstackEnv();
  const platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'gateway'],
    devstack,
    env: {
      auth: { LOGIN_MAX_ATTEMPTS_PER_IP: '1000000', LOG_LEVEL: 'error' },
      gateway: { RATE_LIMIT_RPM_ENTERPRISE: '100000000', LOG_LEVEL: 'error' },
      agent: { LOG_LEVEL: 'error' },
      workflow: { LOG_LEVEL: 'error', WORKER_CONCURRENCY: String(workerConcurrency) },
    },
  });
  const call = async <T>(method: string, route: string, token: string | undefined, body?: unknown, expect = 200): Promise<T> => {
    const response = await fetch(`${platform.gatewayUrl}${route}`, {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expect) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };
  const signedUp = await call<{ organization: { id: string }; accessToken: string }>('POST', '/v1/auth/signup', undefined, {
    email: `bench-${randomBytes(6).toString('hex')}@example.test`,
    password: 'correct horse battery staple',
    name: 'Bench',
    organizationName: 'Bench org',
  }, 201);
  const orgId = signedUp.organization.id;
  const token = signedUp.accessToken;
  await call('PATCH', `/v1/orgs/${orgId}`, token, { plan: 'enterprise' });
  const project = await call<{ id: string }>('POST', '/v1/projects', token, { name: 'Bench' }, 201);
  const agent = await call<{ id: string }>('POST', '/v1/agents', token, { name: 'echo', kind: 'transform', config: { template: { echo: '{{input.i}}' } } }, 201);
  const workflow = await call<{ id: string }>('POST', '/v1/workflows', token, { projectId: project.id, name: 'One step', steps: [{ id: 'echo', agentId: agent.id, input: { i: '{{run.input.i}}' } }] }, 201);

  // One connection per shard for the whole scenario: the polling below must not cost the
  // shards a backend start per read, which the subject would pay for.
  const shardClients = await Promise.all(
    devstack.shards.map(async (shard) => {
      const client = new Client({ connectionString: shard.ownerUrl });
      await client.connect();
      return client;
    }),
  );
  /**
   * A read of the organization's runs on every shard, as the owner role inside the tenant's
   * setting, in one round trip per shard (the polling shares the machine with the subject).
   */
  const onShards = async <R extends Record<string, unknown>>(sql: string, values: unknown[], combine: (rows: R[]) => number): Promise<number> => {
    const results = await Promise.all(
      shardClients.map(async (client) => {
        const [, , read] = await sendBatch(client, [
          { text: 'BEGIN', values: [] },
          { text: `SELECT set_config('app.tenant_id', $1, true)`, values: [orgId] },
          { text: sql, values: [orgId, ...values] },
          { text: 'COMMIT', values: [] },
        ]);
        return combine((read?.rows ?? []) as R[]);
      }),
    );
    return results.reduce((sum, n) => sum + n, 0);
  };
  const countOf = (...statuses: string[]) =>
    onShards<{ n: string }>(`SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1 AND status = ANY($2::text[])`, [statuses], (rows) => Number(rows[0]?.n ?? 0));
  /** Waits until none of the organization's runs is pending or running (an index-backed count). */
  const drained = async () => {
    while ((await countOf('pending', 'running')) > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  /** When the first step of the run was claimed, in ms since the epoch (0 while it was not). */
  const firstStepStartedAt = (runId: string) =>
    onShards<{ ms: number | null }>(
      `SELECT (extract(epoch FROM started_at) * 1000)::float8 AS ms FROM workflow_step_executions WHERE tenant_id = $1 AND run_id = $2 AND step_index = 0 AND started_at IS NOT NULL`,
      [runId],
      (rows) => rows[0]?.ms ?? 0,
    );
  const stop = async () => {
    await Promise.all(shardClients.map((client) => client.end()));
    await platform.stop();
  };
  /** Throws unless `expected` runs of the organization succeeded (none failed on the way). */
  const requireSucceeded = async (expected: number) => {
    const succeeded = await countOf('succeeded');
    if (succeeded !== expected) throw new Error(`${succeeded} runs succeeded, ${expected} expected`);
  };
  return { call, token, agent, workflow, drained, requireSucceeded, firstStepStartedAt, stop };
}

/**
 * The workflow scheduler's overhead (issue 6): 1 000 runs of a one-step transform workflow,
 * started through the gateway and timed until all succeeded (POST …/runs, workers claiming across
 * shards, the agent invoked over gRPC with a service token, every transition recorded with its
 * audit event) vs 1 000 direct `POST /v1/agents/{id}/invoke` of the same agent, at the same
 * concurrency.
 */
export const workflowRunsScenario: Scenario = {
  name: 'workflow-runs',
  description: `${RUNS_PER_ROUND} one-step transform runs through the scheduler vs ${RUNS_PER_ROUND} direct agent invocations, same concurrency`,
  async prepare({ concurrency }) {
    const { call, token, agent, workflow, drained, requireSucceeded, stop } = await workflowPlatform(Math.max(8, concurrency));
    const inParallel = async (count: number, operation: (i: number) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < count) await operation(next++);
      }));
    };
    let done = 0;

    return {
      baseline: {
        name: `${RUNS_PER_ROUND} × POST /v1/agents/{id}/invoke`,
        run: async (): Promise<WorkloadResult> => {
          await inParallel(RUNS_PER_ROUND, (i) => call('POST', `/v1/agents/${agent.id}/invoke`, token, { input: { i } }));
          return { operations: RUNS_PER_ROUND };
        },
      },
      subject: {
        name: `${RUNS_PER_ROUND} × POST /v1/workflows/{id}/runs, until all succeeded`,
        run: async (): Promise<WorkloadResult> => {
          done += RUNS_PER_ROUND;
          await inParallel(RUNS_PER_ROUND, (i) => call('POST', `/v1/workflows/${workflow.id}/runs`, token, { input: { i } }, 202));
          await drained();
          await requireSucceeded(done);
          return { operations: RUNS_PER_ROUND };
        },
      },
      target: { minRatio: 0.5, meaning: 'runs through the scheduler ≥ 50% of direct invocations' },
      close: stop,
    };
  },
};

/**
 * Time from `POST /v1/workflows/{id}/runs` to its first step starting, at idle (issue 6: p95 <
 * 200 ms): one run at a time, the next once the last succeeded, with the service's default poll
 * interval. The step's start is its claim time on the shard (the same clock). Baseline: the
 * round trip of a direct `POST /v1/agents/{id}/invoke`, one at a time.
 */
export const workflowStartLatencyScenario: Scenario = {
  name: 'workflow-start-latency',
  description: `POST …/runs → first step started, ${IDLE_RUNS_PER_ROUND} runs one at a time at idle (target p95 < 200 ms) vs one direct invoke's round trip`,
  async prepare() {
    const { call, token, agent, workflow, drained, requireSucceeded, firstStepStartedAt, stop } = await workflowPlatform(8);
    let done = 0;
    return {
      baseline: {
        name: 'POST /v1/agents/{id}/invoke round trip, one at a time',
        run: async (): Promise<WorkloadResult> => {
          const latenciesMs: number[] = [];
          for (let i = 0; i < IDLE_RUNS_PER_ROUND; i += 1) {
            const started = performance.now();
            await call('POST', `/v1/agents/${agent.id}/invoke`, token, { input: { i } });
            latenciesMs.push(performance.now() - started);
          }
          return { operations: IDLE_RUNS_PER_ROUND, latenciesMs };
        },
      },
      subject: {
        name: 'POST /v1/workflows/{id}/runs → first step started, one run at a time',
        run: async (): Promise<WorkloadResult> => {
          const latenciesMs: number[] = [];
          for (let i = 0; i < IDLE_RUNS_PER_ROUND; i += 1) {
            const postedAt = Date.now();
            const { id } = await call<{ id: string }>('POST', `/v1/workflows/${workflow.id}/runs`, token, { input: { i } }, 202);
            done += 1;
            await drained();
            latenciesMs.push((await firstStepStartedAt(id)) - postedAt);
          }
          await requireSucceeded(done);
          return { operations: IDLE_RUNS_PER_ROUND, latenciesMs };
        },
      },
      target: { maxSubjectP95Ms: 200, meaning: 'p95 from POST …/runs to the first step starting < 200 ms at idle' },
      close: stop,
    };
  },
};
