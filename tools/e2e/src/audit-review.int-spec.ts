import { randomBytes } from 'node:crypto';
import { recordAuditEvent, type AuditEventInput } from '@bulkhead/audit';
import type { OpenedTenantDatabase } from '@bulkhead/database';
import { eventually, loadDevstackEnv, startPlatform, tamperAuditLog, type RunningPlatform } from '@bulkhead/testkit';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { expectStatus, joinAs, MANY_USERS_AUTH_ENV, openOutboxShards, signUp, type SignedUp } from './tenants';

jest.setTimeout(120_000);

const devstack = loadDevstackEnv();
const run = randomBytes(4).toString('hex');

let platform: RunningPlatform;
let api: RestClient;
let shards: OpenedTenantDatabase;

type AuditEvent = { id: string; tenantId: string; sequence: number; hash: string; prevHash: string; action: string; outcome: string; actor: { id: string } };
type List = { items: AuditEvent[]; nextCursor: string | null };
type Verified = { ok: boolean; checked: number; firstBrokenEventId?: string; reason?: string };

/** An org with its reviewers and the events recorded for it (newest first), all by one actor of this run. */
interface Org {
  owner: SignedUp;
  actorId: string;
  ids: string[];
}

let a: Org;
let b: Org;
const reviewers: Record<string, SignedUp> = {};

const get = <T>(who: SignedUp, url: string): Promise<RestReply<T>> => api.call<T>('GET', url, { token: who.tokens.accessToken });

/** The raw body of a GET (exports are not JSON documents). */
async function download(who: SignedUp, url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${platform.gatewayUrl}${url}`, { headers: { authorization: `Bearer ${who.tokens.accessToken}` }, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function listAll(who: SignedUp, query: string, limit: number): Promise<AuditEvent[]> {
  const items: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const reply: RestReply<List> = await get<List>(who, `/v1/audit/events?limit=${limit}${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    expectStatus(reply, 200);
    items.push(...reply.body.items);
    cursor = reply.body.nextCursor;
  } while (cursor !== null);
  return items;
}

/**
 * Records `inputs` through the real outbox (`recordAuditEvent` inside the tenant's shard
 * transaction, one transaction each so they get distinct times); the audit service's relay and
 * log consumer carry them into the compliance log. Returns their ids, newest first.
 */
async function recordEvents(orgId: string, inputs: readonly AuditEventInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const input of inputs) ids.unshift((await shards.withTenant({ tenantId: orgId }, (tx) => recordAuditEvent(tx, input))).id);
  return ids;
}

function eventsBy(actorId: string, count: number): AuditEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    actor: { type: 'user', id: actorId },
    action: i % 2 === 0 ? 'project.created' : 'project.updated',
    resource: { type: 'project', id: `p-${i}` },
    outcome: i % 3 === 2 ? 'denied' : 'success',
    changes: { after: { name: `Project ${i}` } },
  }));
}

beforeAll(async () => {
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'audit', 'gateway'], env: { auth: MANY_USERS_AUTH_ENV } });
  api = createRestClient(platform.gatewayUrl);
  shards = await openOutboxShards(devstack);

  const ownerA = await signUp(api, 'audit-a');
  const ownerB = await signUp(api, 'audit-b');
  for (const role of ['admin', 'auditor', 'member', 'viewer']) reviewers[role] = await joinAs(api, ownerA, role, `audit-a-${role}`);
  reviewers['owner'] = ownerA;
  a = { owner: ownerA, actorId: `reviewer-e2e-a-${run}`, ids: [] };
  b = { owner: ownerB, actorId: `reviewer-e2e-b-${run}`, ids: [] };
  a.ids = await recordEvents(ownerA.orgId, eventsBy(a.actorId, 7));
  b.ids = await recordEvents(ownerB.orgId, eventsBy(b.actorId, 3));
  for (const org of [a, b]) {
    await eventually(async () => {
      expect((await listAll(org.owner, `&actorId=${org.actorId}`, 200)).map((event) => event.id)).toEqual(org.ids);
    }, 30_000);
  }
});

afterAll(async () => {
  await shards?.close();
  await platform?.stop();
});

describe('a reviewer of org A', () => {
  it.each(['owner', 'admin', 'auditor'])('as %s sees A’s events, filtered and paginated, newest first', async (role) => {
    const reviewer = reviewers[role] as SignedUp;
    expect((await listAll(reviewer, `&actorId=${a.actorId}`, 3)).map((event) => event.id)).toEqual(a.ids);
    const denied = await listAll(reviewer, `&actorId=${a.actorId}&outcome=denied`, 1);
    expect(denied.map((event) => event.outcome)).toEqual(['denied', 'denied']);
    const updated = await listAll(reviewer, `&actorId=${a.actorId}&action=project.updated`, 2);
    expect(updated).toHaveLength(3);
    for (const event of await listAll(reviewer, '', 200)) expect(event.tenantId).toBe(a.owner.orgId);
  });

  it('gets one event with its sequence, hash and previous hash, chained to the one before', async () => {
    const [newest, previous] = await Promise.all(a.ids.slice(0, 2).map((id) => get<AuditEvent>(reviewers['auditor'] as SignedUp, `/v1/audit/events/${id}`)));
    expectStatus(newest as RestReply<unknown>, 200);
    expect(newest?.body).toMatchObject({ id: a.ids[0], tenantId: a.owner.orgId, action: 'project.created', actor: { id: a.actorId } });
    expect(newest?.body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(newest?.body.sequence).toBe((previous?.body.sequence ?? 0) + 1);
    expect(newest?.body.prevHash).toBe(previous?.body.hash);
  });

  it('exports NDJSON and CSV holding A’s events only', async () => {
    const ndjson = await download(a.owner, `/v1/audit/export?format=ndjson&actorId=${a.actorId}`);
    expect([ndjson.status, ndjson.headers.get('content-type'), ndjson.headers.get('content-disposition')]).toEqual([
      200,
      'application/x-ndjson',
      'attachment; filename="audit-events.ndjson"',
    ]);
    expect(ndjson.text.trim().split('\n').map((line) => (JSON.parse(line) as AuditEvent).id)).toEqual(a.ids);

    const csv = await download(a.owner, `/v1/audit/export?format=csv&actorId=${a.actorId}`);
    expect([csv.status, csv.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
    const [header, ...rows] = csv.text.trim().split('\r\n');
    expect(header?.split(',').slice(0, 3)).toEqual(['id', 'tenantId', 'sequence']);
    expect(rows.map((row) => row.split(',')[0])).toEqual(a.ids);

    const everything = await download(a.owner, '/v1/audit/export?format=ndjson');
    const tenants = new Set(everything.text.trim().split('\n').map((line) => (JSON.parse(line) as AuditEvent).tenantId));
    expect([...tenants]).toEqual([a.owner.orgId]);
  });

  it('verifies A’s chain', async () => {
    const reply = await get<Verified>(reviewers['admin'] as SignedUp, '/v1/audit/verify');
    expectStatus(reply, 200);
    expect(reply.body).toEqual({ ok: true, checked: (await listAll(a.owner, '', 200)).length });
  });

  it.each(['member', 'viewer'])('as %s is refused (403) on every route', async (role) => {
    const who = reviewers[role] as SignedUp;
    for (const url of ['/v1/audit/events', `/v1/audit/events/${a.ids[0]}`, '/v1/audit/export?format=ndjson', '/v1/audit/verify']) {
      const reply = await get<{ code: string }>(who, url);
      expect([url, reply.status]).toEqual([url, 403]);
    }
  });

  it('bad filters are 400s naming the field', async () => {
    const fields = async (url: string) => (await get<{ errors: { field: string }[] }>(a.owner, url)).body.errors.map((error) => error.field);
    expect(await fields('/v1/audit/events?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z')).toEqual(['querystring.from']);
    expect(await fields('/v1/audit/events?to=soon')).toEqual(['querystring.to']);
    expect(await fields('/v1/audit/events?outcome=maybe')).toEqual(['querystring.outcome']);
    expect(await fields('/v1/audit/events?cursor=garbage')).toEqual(['page.cursor']);
    expect(await fields('/v1/audit/export?format=pdf')).toEqual(['querystring.format']);
  });
});

describe('org B’s reviewer', () => {
  it('gets 404 for A’s event id, and never sees A’s events in its list, export or verify', async () => {
    const missing = await get<{ code: string }>(b.owner, `/v1/audit/events/${a.ids[0]}`);
    expect([missing.status, missing.body.code]).toEqual([404, 'AUDIT_EVENT_NOT_FOUND']);
    const bEvents = await listAll(b.owner, '', 200);
    expect(bEvents.map((event) => event.id)).toEqual(expect.arrayContaining(b.ids));
    expect(bEvents.filter((event) => a.ids.includes(event.id) || event.tenantId !== b.owner.orgId)).toEqual([]);
    const exported = await download(b.owner, '/v1/audit/export?format=ndjson');
    const exportedIds = exported.text.trim().split('\n').map((line) => (JSON.parse(line) as AuditEvent).id);
    expect(exportedIds).toEqual(bEvents.map((event) => event.id));
    const verified = await get<Verified>(b.owner, '/v1/audit/verify');
    expect(verified.body).toEqual({ ok: true, checked: bEvents.length });
    // A is untouched by B's attempts.
    expect((await listAll(a.owner, `&actorId=${a.actorId}`, 200)).map((event) => event.id)).toEqual(a.ids);
  });
});

describe('tamper evidence through the API', () => {
  it('an event altered in the database by a superuser is the one verify reports', async () => {
    const target = a.ids[3] as string;
    await tamperAuditLog(`UPDATE audit_events SET event = jsonb_set(event, '{outcome}', '"failed"'), outcome = 'failed' WHERE id = $1`, [target], devstack);
    const reply = await get<Verified>(reviewers['auditor'] as SignedUp, '/v1/audit/verify');
    expectStatus(reply, 200);
    expect(reply.body).toMatchObject({ ok: false, firstBrokenEventId: target, reason: 'hash does not match the stored event' });
    // B's chain is its own: still intact.
    expect((await get<Verified>(b.owner, '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});
