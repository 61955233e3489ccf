import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLATFORM_LOG_TENANT_ID, recordAuditEvent } from '@bulkhead/audit';
import type { OpenedTenantDatabase } from '@bulkhead/database';
import { eventually, loadDevstackEnv, startPlatform, tamperAuditLog, withPgClient, workspaceRoot, type RunningPlatform } from '@bulkhead/testkit';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, login, MANY_USERS_AUTH_ENV, openOutboxShards, signUp, type SignedUp, type Tokens } from './tenants';

// The platform compliance role end to end: granted by the operator command, carried in tokens
// by auth, checked by the gateway and the audit service, used through the reviewers' CLI, every
// read recorded in the read tenant's own log; revoked, it is gone after a refresh.
jest.setTimeout(180_000);

const devstack = loadDevstackEnv();
const run = randomBytes(4).toString('hex');
const root = workspaceRoot();

let platform: RunningPlatform;
let api: RestClient;
let shards: OpenedTenantDatabase;
let scratch: string;

type Event = { id: string; tenantId: string; action: string; actor: { type: string; id: string }; metadata: Record<string, unknown> | null };
type List = { items: Event[]; nextCursor: string | null };

/** The officer: a user of their own org who will hold the platform role. */
let officer: SignedUp;
/** The tenant whose log is reviewed, and the events recorded for it. */
let tenantA: SignedUp;
let aIds: string[];

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tools/ command line as operators and reviewers do (`npm run …` is tsx on its main.ts). */
function runTool(tool: 'platform-admin' | 'audit-cli', args: readonly string[], env: Record<string, string>): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['--tsconfig', 'tsconfig.base.json', `tools/${tool}/src/main.ts`, ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const operator = (...args: string[]) => runTool('platform-admin', args, { IDENTITY_DATABASE_OWNER_URL: devstack.identityDatabase.ownerUrl });
const cli = (token: string, ...args: string[]) => runTool('audit-cli', args, { BULKHEAD_URL: platform.gatewayUrl, BULKHEAD_TOKEN: token });

const get = <T>(token: string, url: string): Promise<RestReply<T>> => api.call<T>('GET', url, { token });

async function refresh(tokens: Tokens): Promise<Tokens> {
  const reply = await api.call<Tokens>('POST', '/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
  expectStatus(reply, 200);
  return reply.body;
}

/** The payload of an access token (read, not verified: the services verify it). */
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** Records `count` events for `orgId` through the real outbox; relay and consumer carry them to the log. */
async function recordEvents(orgId: string, actorId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const input = { actor: { type: 'user' as const, id: actorId }, action: 'project.created' as const, resource: { type: 'project', id: `p-${i}` }, outcome: 'success' as const };
    ids.push((await shards.withTenant({ tenantId: orgId }, (tx) => recordAuditEvent(tx, input))).id);
  }
  return ids;
}

/** Waits until the org's owner sees every one of `ids` in the org's log. */
async function awaitLogged(owner: SignedUp, actorId: string, ids: readonly string[]): Promise<void> {
  await eventually(async () => {
    const reply = await get<List>(owner.tokens.accessToken, `/v1/audit/events?actorId=${actorId}&limit=200`);
    expectStatus(reply, 200);
    expect(reply.body.items.map((event) => event.id).sort()).toEqual([...ids].sort());
  }, 30_000);
}

/** The platform reads recorded in `owner`'s org log, oldest first, as its owner sees them. */
async function platformReadsIn(owner: SignedUp): Promise<Event[]> {
  const reads: Event[] = [];
  for (const action of ['audit.platform_queried', 'audit.platform_exported']) {
    const reply = await get<List>(owner.tokens.accessToken, `/v1/audit/events?action=${action}&limit=200`);
    expectStatus(reply, 200);
    reads.push(...reply.body.items);
  }
  return reads;
}

beforeAll(async () => {
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'audit', 'gateway'], env: { auth: MANY_USERS_AUTH_ENV } });
  api = createRestClient(platform.gatewayUrl);
  shards = await openOutboxShards(devstack);
  scratch = await mkdtemp(path.join(tmpdir(), 'platform-audit-'));
  officer = await signUp(api, 'platform-officer');
  tenantA = await signUp(api, 'platform-a');
  aIds = await recordEvents(tenantA.orgId, `platform-e2e-${run}`, 3);
  await awaitLogged(tenantA, `platform-e2e-${run}`, aIds);
});

afterAll(async () => {
  await shards?.close();
  await platform?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('the platform compliance role', () => {
  it('is refused to users without a grant, org owners included, on every route (403)', async () => {
    for (const who of [officer, tenantA]) {
      for (const url of [
        `/v1/platform/audit/events?tenantId=${tenantA.orgId}`,
        `/v1/platform/audit/events/${aIds[0]}?tenantId=${tenantA.orgId}`,
        `/v1/platform/audit/export?tenantId=${tenantA.orgId}&format=ndjson`,
        `/v1/platform/audit/verify?tenantId=${tenantA.orgId}`,
      ]) {
        const reply = await get<{ code: string }>(who.tokens.accessToken, url);
        expect({ url, status: reply.status, code: reply.body.code }).toEqual({ url, status: 403, code: 'PLATFORM_ROLE_REQUIRED' });
      }
    }
    const viaCli = await cli(officer.tokens.accessToken, 'query', '--tenant', tenantA.orgId);
    expect(viaCli.status).toBe(1);
    expect(viaCli.stderr).toMatch(/403 .*PLATFORM_ROLE_REQUIRED/);
    expect(await platformReadsIn(tenantA)).toEqual([]);
  });

  it('granted by the operator command, reaches the token at the next refresh and lists, gets, exports and verifies another tenant’s log', async () => {
    const granted = await operator('grant', 'compliance', officer.email, '--by', `e2e-operator-${run}`);
    expect(granted).toMatchObject({ status: 0, stdout: expect.stringMatching(/^granted compliance to .* by e2e-operator-/) });
    // The token issued before the grant does not carry it: the role travels only in signed tokens.
    expect((await get(officer.tokens.accessToken, `/v1/platform/audit/verify?tenantId=${tenantA.orgId}`)).status).toBe(403);
    officer.tokens = await refresh(officer.tokens);
    expect(claimsOf(officer.tokens.accessToken)['plat']).toEqual(['compliance']);
    const token = officer.tokens.accessToken;
    // A sign-in and a switch to another org of theirs carry it too: it is the user's, not an org's.
    expect(claimsOf((await login(api, officer.email)).accessToken)['plat']).toEqual(['compliance']);
    const second = await api.call<{ id: string }>('POST', '/v1/orgs', { token, body: { name: `officer second ${run}` } });
    expectStatus(second, 201);
    const switched = await api.call<Tokens>('POST', '/v1/auth/switch-org', { token, body: { organizationId: second.body.id } });
    expectStatus(switched, 200);
    expect(claimsOf(switched.body.accessToken)).toMatchObject({ tid: second.body.id, plat: ['compliance'] });
    // Back to the first org (a switch retires the session's refresh token, so keep the new ones).
    const back = await api.call<Tokens>('POST', '/v1/auth/switch-org', { token: switched.body.accessToken, body: { organizationId: officer.orgId } });
    expectStatus(back, 200);
    officer.tokens = back.body;

    const listed = await cli(token, 'query', '--tenant', tenantA.orgId, '--all', '--json', '--action', 'project.created');
    expect(listed).toMatchObject({ status: 0, stderr: '' });
    const items = (JSON.parse(listed.stdout) as List).items;
    expect(items.map((event) => event.id).sort()).toEqual([...aIds].sort());
    expect(new Set(items.map((event) => event.tenantId))).toEqual(new Set([tenantA.orgId]));

    const table = await cli(token, 'query', '--tenant', tenantA.orgId, '--limit', '2');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^OCCURRED AT +SEQ +ACTOR +ACTION/);
    expect(table.stdout).toMatch(/2 event\(s\); more with --cursor /);

    expectStatus(await get(token, `/v1/platform/audit/events/${aIds[0]}?tenantId=${tenantA.orgId}`), 200);

    const ndjsonFile = path.join(scratch, 'a.ndjson');
    expect(await cli(token, 'export', '--tenant', tenantA.orgId, '--format', 'ndjson', '--out', ndjsonFile)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^exported \d+ bytes \(ndjson\)/) });
    const exported = (await readFile(ndjsonFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Event);
    expect(exported.map((event) => event.id)).toEqual(expect.arrayContaining(aIds));
    expect(new Set(exported.map((event) => event.tenantId))).toEqual(new Set([tenantA.orgId]));
    const csvFile = path.join(scratch, 'a.csv');
    expect((await cli(token, 'export', '--tenant', tenantA.orgId, '--format', 'csv', '--out', csvFile)).status).toBe(0);
    const csv = await readFile(csvFile, 'utf8');
    for (const id of aIds) expect(csv).toContain(id);

    const verified = await cli(token, 'verify', '--tenant', tenantA.orgId);
    expect(verified).toMatchObject({ status: 0, stdout: expect.stringMatching(/^chain ok: \d+ event\(s\) checked/) });
  });

  it('left every one of those reads in the read tenant’s own log, actor type platform, before answering', async () => {
    const reads = await platformReadsIn(tenantA);
    const byRpc = (rpc: string) => reads.filter((event) => event.metadata?.['rpc'] === rpc);
    expect(reads.every((event) => event.tenantId === tenantA.orgId && event.actor.type === 'platform' && event.actor.id === officer.userId)).toBe(true);
    // query --all (one page), query --limit 2, get, verify; the two exports.
    expect(byRpc('ListEvents')).toHaveLength(2);
    expect(byRpc('ListEvents').map((event) => event.metadata?.['filter'])).toContainEqual({ action: 'project.created' });
    expect(byRpc('GetEvent')).toEqual([expect.objectContaining({ action: 'audit.platform_queried', metadata: expect.objectContaining({ id: aIds[0] }) })]);
    expect(byRpc('VerifyChain')).toHaveLength(1);
    expect(byRpc('ExportEvents').map((event) => [event.action, event.metadata?.['format']]).sort()).toEqual([
      ['audit.platform_exported', 'csv'],
      ['audit.platform_exported', 'ndjson'],
    ]);
    // …in the read tenant's log, not the officer's own org's.
    expect(await platformReadsIn(officer)).toEqual([]);
    // Those records are links of A's chain like any other: it still verifies.
    expect((await get<{ ok: boolean }>(tenantA.tokens.accessToken, '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  it('still checks the input: a tenantId that is not a UUID is a 400 naming it', async () => {
    const reply = await get<{ errors: { field: string }[] }>(officer.tokens.accessToken, '/v1/platform/audit/events?tenantId=acme');
    expectStatus(reply, 400);
    expect(reply.body.errors.map((error) => error.field)).toEqual(['querystring.tenantId']);
    expect((await cli(officer.tokens.accessToken, 'query', '--tenant', 'acme')).status).toBe(64);
  });

  it('revoked by the operator command, is gone from the next token: refused after refresh', async () => {
    const revoked = await operator('revoke', 'compliance', officer.email, '--by', `e2e-operator-${run}`);
    expect(revoked).toMatchObject({ status: 0, stdout: expect.stringMatching(/^revoked compliance from /) });
    officer.tokens = await refresh(officer.tokens);
    expect(claimsOf(officer.tokens.accessToken)).not.toHaveProperty('plat');
    expect((await get(officer.tokens.accessToken, `/v1/platform/audit/events?tenantId=${tenantA.orgId}`)).status).toBe(403);
    expect((await cli(officer.tokens.accessToken, 'verify', '--tenant', tenantA.orgId)).status).toBe(1);
    const listed = await operator('list', '--all');
    expect(listed.stdout).toMatch(new RegExp(`compliance\\t${officer.email}\\tgranted by e2e-operator-${run} at \\S+\\trevoked by e2e-operator-${run}`));
  });

  it("records the grant and the revocation in the platform's own log and in the officer's organization, never in another's", async () => {
    const byOperator = () =>
      withPgClient(devstack.auditDatabase.ownerUrl, async (client) =>
        (
          await client.query<{ tenant_id: string; action: string; actor_type: string; resource_id: string; role: string }>(
            `SELECT tenant_id, action, event -> 'actor' ->> 'type' AS actor_type, event -> 'resource' ->> 'id' AS resource_id, event -> 'metadata' ->> 'role' AS role
               FROM audit_events WHERE actor_id = $1 AND action LIKE 'platform_role.%' ORDER BY seq`,
            [`e2e-operator-${run}`],
          )
        ).rows,
      );
    const inLog = (tenantId: string) => async () => (await byOperator()).filter((row) => row.tenant_id === tenantId).map((row) => row.action);
    await eventually(async () => expect(await inLog(PLATFORM_LOG_TENANT_ID)()).toEqual(['platform_role.granted', 'platform_role.revoked']), 30_000);
    await eventually(async () => expect(await inLog(officer.orgId)()).toEqual(['platform_role.granted', 'platform_role.revoked']), 30_000);
    const rows = await byOperator();
    expect(rows.every((row) => row.actor_type === 'platform' && row.resource_id === officer.userId && row.role === 'compliance')).toBe(true);
    expect(rows.some((row) => row.tenant_id === tenantA.orgId)).toBe(false);
  });
});

describe('the reviewers’ CLI on an org’s own log', () => {
  it('verify exits 2 naming the event when the chain is broken', async () => {
    const owner = await signUp(api, 'platform-tampered');
    const actorId = `platform-e2e-tamper-${run}`;
    const ids = await recordEvents(owner.orgId, actorId, 3);
    await awaitLogged(owner, actorId, ids);
    expect((await cli(owner.tokens.accessToken, 'verify')).status).toBe(0);
    await tamperAuditLog(`UPDATE audit_events SET event = jsonb_set(event, '{outcome}', '"failed"'), outcome = 'failed' WHERE id = $1`, [ids[1]], devstack);
    const broken = await cli(owner.tokens.accessToken, 'verify');
    expect(broken.status).toBe(2);
    expect(broken.stdout).toContain(`first broken event ${ids[1]}`);
  });

  it('refuses to start without its environment, naming what is missing', async () => {
    const bare = await runTool('audit-cli', ['query'], {});
    expect(bare.status).toBe(64);
    expect(bare.stderr).toMatch(/BULKHEAD_URL is not set/);
    expect(bare.stderr).toMatch(/BULKHEAD_TOKEN .* or BULKHEAD_API_KEY .* is not set/);
  });
});
