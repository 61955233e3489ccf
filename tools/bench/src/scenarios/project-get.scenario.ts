import { createInMemoryPlacementSource, createShardRouter } from '@bulkhead/database';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { closedLoop, type Scenario } from '../harness';
import { startIdentityPlatform } from './identity-platform';
import { findPgbench, runPgbench } from './pgbench';

/** The SELECT the project service runs for GetProject (services/project projects.repository.ts). */
const GET_PROJECT = `SELECT p.id, p.name, p.description, p.settings, p.archived, p.created_by, p.created_at, p.updated_at,
  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_at, m.role AS project_role
  FROM projects p
  LEFT JOIN project_members m ON m.tenant_id = p.tenant_id AND m.project_id = p.id AND m.user_id = :user
  WHERE p.tenant_id = :tenant AND p.id = :project`;

function claimsOf(accessToken: string): { sub: string; tid: string } {
  const payload = accessToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string; tid: string };
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
  async prepare({ durationMs, concurrency }) {
    const devstack = loadDevstackEnv();
    const identity = await startIdentityPlatform();
    const { sub, tid } = claimsOf(identity.accessToken);
    const created = await fetch(`${identity.platform.gatewayUrl}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${identity.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench project' }),
    });
    if (created.status !== 201) throw new Error(`creating the project answered ${created.status}: ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };

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
          .replace(':tenant', `'${tid}'`)
          .replace(':project', `'${id}'`)
          .replace(':user', `'${sub}'`)
          .replace('HH24:MI:SS', "HH24' || chr(58) || 'MI' || chr(58) || 'SS")};`,
        'COMMIT;',
        '',
      ].join('\n'),
    );
    const pgbench = findPgbench();
    // pgbench is a C client; Node's fetch costs this process ~0.8 ms of CPU per request, taken from
    // the services under test on a small machine. undici's pool (the engine under fetch, without
    // the WHATWG layers) sends the same keep-alive requests for ~0.1 ms.
    const gateway = new Pool(identity.platform.gatewayUrl, { connections: concurrency });
    const getProject = async (): Promise<void> => {
      const { statusCode, body } = await gateway.request({
        method: 'GET',
        path: `/v1/projects/${id}`,
        headers: { authorization: `Bearer ${identity.accessToken}` },
      });
      await body.arrayBuffer();
      if (statusCode !== 200) throw new Error(`GET /v1/projects/${id} answered ${statusCode}`);
    };
    return {
      baseline: {
        name: `pgbench -c ${concurrency}: BEGIN, set_config, the SELECT, COMMIT on ${shard.id}`,
        run: () => runPgbench(pgbench, shard.url, script, concurrency, durationMs),
      },
      subject: {
        name: `GET /v1/projects/{id} through the gateway (undici pool of ${concurrency})`,
        run: () => closedLoop(durationMs, concurrency, getProject),
      },
      target: { minRatio: 0.2, meaning: 'the whole REST → gRPC → shard read ≥ 20% of pgbench running its SELECT' },
      async close() {
        rmSync(workDir, { recursive: true, force: true });
        await gateway.close();
        await identity.platform.stop();
      },
    };
  },
};
