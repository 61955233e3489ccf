import { loadDevstackEnv, withPgClient } from '@bulkhead/testkit';
import { closedLoop, type Scenario, type WorkloadResult } from '../harness';
import { startIdentityPlatform } from './identity-platform';

const DRAIN_TIMEOUT_MS = 120_000;

/**
 * What the audit relay costs a user's writes (issue 5): `PATCH /v1/projects/{id}` through the
 * gateway (each update records project.updated in the shard's outbox, in its transaction) with the
 * audit service stopped, so nothing relays, vs with it running and relaying every event as it
 * commits. (Updates, not creations: a basic-plan tenant may own 3 projects.) Before each "on" round
 * the service is started and the backlog of the "off" round logged, outside the timing, so the
 * "on" round pays only for relaying its own writes; the harness alternates off and on rounds.
 */
export const auditGatewayWritesScenario: Scenario = {
  name: 'audit-gateway-writes',
  description: 'PATCH /v1/projects/{id} through the gateway with the audit relay off (audit service stopped) vs on',
  async prepare({ durationMs, concurrency }) {
    const devstack = loadDevstackEnv();
    const identity = await startIdentityPlatform(['audit']);
    const { tid } = identity.claims;
    const id = await identity.createProject('Bench project');

    let updates = 0;
    let relaying = true;
    const update = async (): Promise<void> => {
      await identity.request('PATCH', `/v1/projects/${id}`, { token: identity.accessToken, body: { description: `update ${++updates}` } });
    };
    const logged = async (): Promise<number> =>
      withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
        Number(
          (await client.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action = 'project.updated'`, [tid])).rows[0]?.n ?? 0,
        ),
      );
    const timedLoop = async (): Promise<WorkloadResult> => {
      const started = performance.now();
      const result = await closedLoop(durationMs, concurrency, update);
      return { ...result, timedMs: performance.now() - started };
    };
    return {
      baseline: {
        name: `PATCH /v1/projects/{id} × ${concurrency} concurrent, audit relay off`,
        run: async () => {
          if (relaying) await identity.platform.killService('audit');
          relaying = false;
          return timedLoop();
        },
      },
      subject: {
        name: `PATCH /v1/projects/{id} × ${concurrency} concurrent, audit relay on`,
        run: async () => {
          if (!relaying) await identity.platform.startService('audit');
          relaying = true;
          const deadline = Date.now() + DRAIN_TIMEOUT_MS;
          while ((await logged()) < updates) {
            if (Date.now() > deadline) throw new Error(`the audit log did not catch up with ${updates} updates in ${DRAIN_TIMEOUT_MS} ms`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return timedLoop();
        },
      },
      target: { minRatio: 0.9, meaning: 'gateway writes with the audit relay on ≥ 90% of the same writes with it off' },
      async close() {
        if (!relaying) await identity.platform.startService('audit');
        await identity.platform.stop();
      },
    };
  },
};
