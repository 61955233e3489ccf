import { loadDevstackEnv, startPlatform, withPgClient } from '@bulkhead/testkit';
import { randomBytes } from 'node:crypto';
import type { Scenario, WorkloadResult } from '../harness';

const RUNS_PER_ROUND = 1000;

/**
 * The workflow scheduler's overhead (issue 6): 1 000 runs of a one-step transform workflow,
 * started through the gateway and timed until all succeeded (POST …/runs, workers claiming across
 * shards, the agent invoked over gRPC with a service token, every transition recorded with its
 * audit event) vs 1 000 direct `POST /v1/agents/{id}/invoke` of the same agent, at the same
 * concurrency. The organization is on the enterprise plan (50 concurrent runs).
 */
export const workflowRunsScenario: Scenario = {
  name: 'workflow-runs',
  description: `${RUNS_PER_ROUND} one-step transform runs through the scheduler vs ${RUNS_PER_ROUND} direct agent invocations, same concurrency`,
  async prepare({ concurrency }) {
    const devstack = loadDevstackEnv();
    const platform = await startPlatform({
      services: ['auth', 'org', 'project', 'agent', 'workflow', 'gateway'],
      devstack,
      env: {
        auth: { LOGIN_MAX_ATTEMPTS_PER_IP: '1000000', LOG_LEVEL: 'error' },
        gateway: { RATE_LIMIT_RPM_ENTERPRISE: '100000000', LOG_LEVEL: 'error' },
        agent: { LOG_LEVEL: 'error' },
        workflow: { LOG_LEVEL: 'error', WORKER_CONCURRENCY: String(Math.max(8, concurrency)), WORKER_POLL_INTERVAL_MS: '20' },
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

    const shardUrls = devstack.shards.map((shard) => shard.ownerUrl);
    const succeeded = async (): Promise<number> => {
      let total = 0;
      for (const url of shardUrls) {
        total += await withPgClient(url, async (client) => {
          await client.query('BEGIN');
          await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [orgId]);
          const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1 AND status = 'succeeded'`, [orgId]);
          await client.query('COMMIT');
          return Number(rows[0]?.n ?? 0);
        });
      }
      return total;
    };
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
          while ((await succeeded()) < done) await new Promise((resolve) => setTimeout(resolve, 50));
          return { operations: RUNS_PER_ROUND };
        },
      },
      target: { minRatio: 0.5, meaning: 'runs through the scheduler ≥ 50% of direct invocations' },
      close: () => platform.stop(),
    };
  },
};
