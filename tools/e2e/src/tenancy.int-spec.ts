import { loadDevstackEnv, startPlatform, withPgClient, type RunningPlatform } from '@bulkhead/testkit';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createRestClient, type RestClient, type RestReply } from './rest-client';
import { devstackShardRouter, expectStatus, joinAs, MANY_USERS_AUTH_ENV, onShardAsTenant, queryAsTenant, signUp, type SignedUp, type Tokens } from './tenants';

const devstack = loadDevstackEnv();

let platform: RunningPlatform;
let api: RestClient;
let identity: Pool;

type Problem = { code?: string; detail?: string; errors?: { field: string; message: string }[]; [key: string]: unknown };
type Project = { id: string; name: string };
type List<T> = { items: T[]; nextCursor: string | null };

const as = (who: SignedUp) => ({
  call: <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<RestReply<T>> =>
    api.call<T>(method, path, { token: who.tokens.accessToken, ...(body === undefined ? {} : { body }) }),
});

async function createProject(owner: SignedUp, name: string): Promise<Project> {
  const reply = await as(owner).call<Project>('POST', '/v1/projects', { name, description: `${name} description` });
  expectStatus(reply, 201);
  return reply.body;
}

async function invite(owner: SignedUp, email: string, role = 'member', expiresInHours?: number): Promise<RestReply<{ invitation: { id: string }; token: string } & Problem>> {
  return as(owner).call('POST', `/v1/orgs/${owner.orgId}/invitations`, { email, role, ...(expiresInHours === undefined ? {} : { expiresInHours }) });
}

/** A refused call: a 4xx problem+json with a code, `code` when given (the body is printed on failure). */
function expectClientError(reply: RestReply<Problem>, status?: number, code?: string): void {
  expect({ status: reply.status, code: reply.body.code, body: reply.body }).toEqual({
    status: status ?? expect.any(Number),
    code: code ?? expect.stringMatching(/^[A-Z_]+$/),
    body: reply.body,
  });
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
}

beforeAll(async () => {
  identity = new Pool({ connectionString: devstack.identityDatabase.url, max: 2 });
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'gateway'], env: { auth: MANY_USERS_AUTH_ENV } });
  api = createRestClient(platform.gatewayUrl);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await identity?.end();
});

describe('placement', () => {
  it('puts 40 organizations created by signup on all four shards, each on exactly the shard the router names', async () => {
    const orgIds: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const users = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(api, `spread${batch * 8 + i}`)));
      orgIds.push(...users.map((user) => user.orgId));
    }
    const router = devstackShardRouter(devstack, identity);
    expect(devstack.shards).toHaveLength(4);
    const found = new Map<string, string[]>();
    for (const shard of devstack.shards) {
      await withPgClient(shard.ownerUrl, async (client) => {
        for (const orgId of orgIds) {
          const rows = await queryAsTenant(client, orgId, 'SELECT tenant_id FROM organizations WHERE tenant_id = $1', [orgId]);
          if (rows.length > 0) found.set(orgId, [...(found.get(orgId) ?? []), shard.id]);
        }
      });
    }
    const expected = new Map<string, string[]>();
    for (const orgId of orgIds) expected.set(orgId, [(await router.shardFor(orgId)).id]);
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expected));
    const perShard = devstack.shards.map((shard) => [...found.values()].filter(([id]) => id === shard.id).length);
    for (const count of perShard) expect(count).toBeGreaterThan(0);
  }, 60_000);
});

describe('isolation between organizations', () => {
  let a: SignedUp;
  let aMember: SignedUp;
  let aProject: Project;
  let aInvitationId: string;
  let b: SignedUp;
  let bProject: Project;

  beforeAll(async () => {
    [a, b] = await Promise.all([signUp(api, 'tenant-a'), signUp(api, 'tenant-b')]);
    aMember = await joinAs(api, a, 'member', 'a-member');
    aProject = await createProject(a, 'alpha secret project');
    expectStatus(await as(a).call('PUT', `/v1/projects/${aProject.id}/members/${aMember.userId}`, { role: 'editor' }), 200);
    const invited = await invite(a, `a-invitee-${randomUUID()}@example.test`);
    expectStatus(invited, 201);
    aInvitationId = invited.body.invitation.id;
    bProject = await createProject(b, 'beta project');
  }, 60_000);

  /** Everything org A has, read through A's own owner token. */
  async function snapshotOfA(): Promise<Record<string, unknown>> {
    const read = async (path: string) => {
      const reply = await as(a).call('GET', path);
      expectStatus(reply, 200);
      return reply.body;
    };
    return {
      org: await read(`/v1/orgs/${a.orgId}`),
      members: await read(`/v1/orgs/${a.orgId}/members`),
      invitations: await read(`/v1/orgs/${a.orgId}/invitations`),
      projects: await read('/v1/projects'),
      project: await read(`/v1/projects/${aProject.id}`),
      projectMembers: await read(`/v1/projects/${aProject.id}/members`),
    };
  }

  /**
   * Every route of the tenancy issue, called by org B's owner with org A's ids. A route that
   * joins later (workflows, agents, audit) joins the matrix by adding a row here. `status` is
   * 404 unless said otherwise; every row must also answer exactly as it does for ids that exist
   * nowhere (its twin), so nothing tells B that A's ids exist.
   */
  const matrix = (): { name: string; method: string; path: string; body?: unknown }[] => [
    { name: 'get org', method: 'GET', path: `/v1/orgs/${a.orgId}` },
    { name: 'update org', method: 'PATCH', path: `/v1/orgs/${a.orgId}`, body: { name: 'taken over' } },
    { name: 'delete org', method: 'DELETE', path: `/v1/orgs/${a.orgId}` },
    { name: 'usage', method: 'GET', path: `/v1/orgs/${a.orgId}/usage` },
    { name: 'list members', method: 'GET', path: `/v1/orgs/${a.orgId}/members` },
    { name: 'change member role', method: 'PATCH', path: `/v1/orgs/${a.orgId}/members/${aMember.userId}`, body: { role: 'viewer' } },
    { name: "change A's member's role under B's org", method: 'PATCH', path: `/v1/orgs/${b.orgId}/members/${aMember.userId}`, body: { role: 'viewer' } },
    { name: 'remove member', method: 'DELETE', path: `/v1/orgs/${a.orgId}/members/${aMember.userId}` },
    { name: "remove A's member under B's org", method: 'DELETE', path: `/v1/orgs/${b.orgId}/members/${aMember.userId}` },
    { name: 'invite', method: 'POST', path: `/v1/orgs/${a.orgId}/invitations`, body: { email: `intruder-${randomUUID()}@example.test`, role: 'admin' } },
    { name: 'list invitations', method: 'GET', path: `/v1/orgs/${a.orgId}/invitations` },
    { name: 'revoke invitation', method: 'DELETE', path: `/v1/orgs/${a.orgId}/invitations/${aInvitationId}` },
    { name: "revoke A's invitation under B's org", method: 'DELETE', path: `/v1/orgs/${b.orgId}/invitations/${aInvitationId}` },
    { name: 'get project', method: 'GET', path: `/v1/projects/${aProject.id}` },
    { name: 'update project', method: 'PATCH', path: `/v1/projects/${aProject.id}`, body: { name: 'taken over' } },
    { name: 'delete project', method: 'DELETE', path: `/v1/projects/${aProject.id}` },
    { name: 'list project members', method: 'GET', path: `/v1/projects/${aProject.id}/members` },
    { name: 'set project member', method: 'PUT', path: `/v1/projects/${aProject.id}/members/${aMember.userId}`, body: { role: 'admin' } },
    { name: 'remove project member', method: 'DELETE', path: `/v1/projects/${aProject.id}/members/${aMember.userId}` },
    // Users are global, but a user outside B's org is as unknown to B as a random id.
    { name: "set A's user on B's project", method: 'PUT', path: `/v1/projects/${bProject.id}/members/${aMember.userId}`, body: { role: 'admin' } },
  ];

  it("answers 404 to every route called by B with A's ids, as for ids that exist nowhere, leaks nothing of A, and leaves A unchanged", async () => {
    const before = await snapshotOfA();
    const secrets = [aProject.name, a.email, aMember.email];
    const aIds = [a.orgId, aMember.userId, aInvitationId, aProject.id];
    const seen = (reply: RestReply<Problem>, ids: string[]) => {
      const text = ids.reduce((t, id) => t.split(id).join('<id>'), JSON.stringify({ ...reply.body, requestId: undefined }));
      return { status: reply.status, body: text };
    };
    const outcomes = [];
    const expected = [];
    for (const row of matrix()) {
      const reply = await as(b).call<Problem>(row.method, row.path, row.body);
      const twinIds = aIds.map(() => randomUUID());
      const twinPath = aIds.reduce((path, id, i) => path.split(id).join(twinIds[i] ?? ''), row.path);
      const twin = await as(b).call<Problem>(row.method, twinPath, row.body);
      const text = JSON.stringify(reply.body);
      outcomes.push({ name: row.name, status: reply.status, leaks: secrets.filter((secret) => text.includes(secret)), code: reply.body.code, asTwin: seen(reply, aIds) });
      expected.push({ name: row.name, status: 404, leaks: [], code: expect.any(String), asTwin: seen(twin, twinIds) });
    }
    expect(outcomes).toEqual(expected);
    expect(await snapshotOfA()).toEqual(before);
  }, 60_000);

  it("lists only B's own items to B", async () => {
    const aIds = [a.orgId, aMember.userId, aProject.id, aInvitationId, a.userId];
    for (const path of ['/v1/projects', `/v1/orgs/${b.orgId}/members`, `/v1/orgs/${b.orgId}/invitations`, '/v1/orgs']) {
      const reply = await as(b).call<List<unknown>>('GET', path);
      expectStatus(reply, 200);
      const text = JSON.stringify(reply.body);
      expect({ path, leaked: aIds.filter((id) => text.includes(id)) }).toEqual({ path, leaked: [] });
    }
    const projects = await as(b).call<List<Project>>('GET', '/v1/projects');
    expect(projects.body.items.map((p) => p.id)).toEqual([bProject.id]);
  });
});

describe('roles', () => {
  let owner: SignedUp;
  let viewer: SignedUp;
  let editor: SignedUp;
  let own: Project;
  let other: Project;

  beforeAll(async () => {
    owner = await signUp(api, 'roles-owner');
    [viewer, editor] = await Promise.all([joinAs(api, owner, 'viewer'), joinAs(api, owner, 'member', 'editor')]);
    own = await createProject(owner, 'editable');
    other = await createProject(owner, 'not yours');
    expectStatus(await as(owner).call('PUT', `/v1/projects/${own.id}/members/${editor.userId}`, { role: 'editor' }), 200);
  }, 60_000);

  it('refuses a viewer to create projects with 403', async () => {
    expectClientError(await as(viewer).call('POST', '/v1/projects', { name: 'viewer made' }), 403);
  });

  it('lets a project editor edit its project, hides the others with 404, and refuses it to delete its own with 403', async () => {
    const edited = await as(editor).call<Project & { description: string }>('PATCH', `/v1/projects/${own.id}`, { description: 'edited by the editor' });
    expectStatus(edited, 200);
    expect(edited.body.description).toBe('edited by the editor');
    expectClientError(await as(editor).call('GET', `/v1/projects/${other.id}`), 404);
    expectClientError(await as(editor).call('PATCH', `/v1/projects/${other.id}`, { description: 'nope' }), 404);
    expectClientError(await as(editor).call('DELETE', `/v1/projects/${own.id}`), 403);
    expectStatus(await as(owner).call('GET', `/v1/projects/${own.id}`), 200);
  });

  it('keeps the last owner: neither removed nor demoted (409)', async () => {
    expectClientError(await as(owner).call('DELETE', `/v1/orgs/${owner.orgId}/members/${owner.userId}`), 409);
    expectClientError(await as(owner).call('PATCH', `/v1/orgs/${owner.orgId}/members/${owner.userId}`, { role: 'admin' }), 409);
    const members = await as(owner).call<List<{ userId: string; role: string }>>('GET', `/v1/orgs/${owner.orgId}/members`);
    expect(members.body.items.find((m) => m.userId === owner.userId)?.role).toBe('owner');
  });
});

describe('invitations', () => {
  let owner: SignedUp;
  let shardOwnerUrl: string;

  beforeAll(async () => {
    owner = await signUp(api, 'inviter');
    const router = devstackShardRouter(devstack, identity);
    const shardId = (await router.shardFor(owner.orgId)).id;
    shardOwnerUrl = devstack.shards.find((shard) => shard.id === shardId)?.ownerUrl ?? '';
  }, 30_000);

  const accept = (who: SignedUp, token: string) => as(who).call<Problem>('POST', '/v1/invitations/accept', { token });

  it('refuses an expired invitation', async () => {
    const invitee = await signUp(api, 'late');
    const invited = await invite(owner, invitee.email, 'member', 1);
    expectStatus(invited, 201);
    const aged = await onShardAsTenant(shardOwnerUrl, owner.orgId, "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE tenant_id = $1 AND id = $2 RETURNING id", [
      owner.orgId,
      invited.body.invitation.id,
    ]);
    expect(aged).toHaveLength(1);
    expectClientError(await accept(invitee, invited.body.token), 409, 'INVITATION_EXPIRED');
  });

  it('refuses a revoked invitation', async () => {
    const invitee = await signUp(api, 'revoked');
    const invited = await invite(owner, invitee.email);
    expectStatus(invited, 201);
    expectStatus(await as(owner).call('DELETE', `/v1/orgs/${owner.orgId}/invitations/${invited.body.invitation.id}`), 204);
    expectClientError(await accept(invitee, invited.body.token), 409, 'INVITATION_REVOKED');
  });

  it('refuses another email, lets the invitee join and switch to the org, and refuses reuse by someone else', async () => {
    const [invitee, stranger] = await Promise.all([signUp(api, 'invitee'), signUp(api, 'stranger')]);
    const invited = await invite(owner, invitee.email, 'admin');
    expectStatus(invited, 201);
    expectClientError(await accept(stranger, invited.body.token), 409, 'INVITATION_EMAIL_MISMATCH');

    expectStatus(await accept(invitee, invited.body.token), 200);
    const members = await as(owner).call<List<{ userId: string; role: string }>>('GET', `/v1/orgs/${owner.orgId}/members`);
    expect(members.body.items).toContainEqual(expect.objectContaining({ userId: invitee.userId, role: 'admin' }));
    const switched = await as(invitee).call<Tokens>('POST', '/v1/auth/switch-org', { organizationId: owner.orgId });
    expectStatus(switched, 200);
    expect(switched.body.organizationId).toBe(owner.orgId);
    const me = await api.call<{ organization?: { id: string }; role?: string }>('GET', '/v1/auth/me', { token: switched.body.accessToken });
    expectStatus(me, 200);
    expect(JSON.stringify(me.body)).toContain(owner.orgId);

    const late = await signUp(api, 'reuser');
    expectClientError(await accept(late, invited.body.token), 409, 'INVITATION_USED');
    expectClientError(await accept(stranger, invited.body.token), 409, 'INVITATION_USED');
  });
});

describe('plan limits', () => {
  it('answers 402 naming the limit and the plan for the 4th project on basic', async () => {
    const owner = await signUp(api, 'limited');
    for (const name of ['one', 'two', 'three']) await createProject(owner, name);
    const fourth = await as(owner).call<Problem>('POST', '/v1/projects', { name: 'four' });
    expectClientError(fourth, 402);
    expect(fourth.body).toMatchObject({ limit: 'projects', plan: 'basic' });
  });

  it('answers 402 to an invitation past the member limit', async () => {
    const owner = await signUp(api, 'crowded');
    // basic: 5 members, pending invitations included; the owner is the first.
    for (let i = 0; i < 4; i++) expectStatus(await invite(owner, `crowd-${i}-${randomUUID()}@example.test`), 201);
    const past = await invite(owner, `crowd-past-${randomUUID()}@example.test`);
    expectClientError(past, 402);
    expect(past.body).toMatchObject({ limit: 'members', plan: 'basic' });
  });
});

describe('bad input', () => {
  let owner: SignedUp;
  let project: Project;

  beforeAll(async () => {
    owner = await signUp(api, 'careless');
    project = await createProject(owner, 'careful');
  }, 30_000);

  const fields = (reply: RestReply<Problem>) => (reply.body.errors ?? []).map((e) => e.field);

  it.each([
    ['GET', '/v1/orgs/not-a-uuid', 'orgId', undefined],
    ['GET', '/v1/projects/12345', 'id', undefined],
    ['PATCH', '/v1/projects/zzz', 'id', { description: 'x' }],
    ['DELETE', '/v1/orgs/{org}/members/not-a-uuid', 'userId', undefined],
    ['DELETE', '/v1/orgs/{org}/invitations/nope', 'id', undefined],
    ['PUT', '/v1/projects/{project}/members/x1', 'userId', { role: 'viewer' }],
  ])('answers 400 naming the parameter to %s %s', async (method, template, parameter, body) => {
    const path = template.replace('{org}', owner.orgId).replace('{project}', project.id);
    const reply = await as(owner).call<Problem>(method, path, body);
    expectClientError(reply, 400);
    expect(fields(reply)).toEqual([`params.${parameter}`]);
  });

  it('answers 409 to a slug another organization has', async () => {
    const other = await signUp(api, 'slug-holder');
    const { body } = await as(other).call<{ slug: string }>('GET', `/v1/orgs/${other.orgId}`);
    expectClientError(await as(owner).call('PATCH', `/v1/orgs/${owner.orgId}`, { slug: body.slug }), 409);
    expectClientError(await as(owner).call('POST', '/v1/orgs', { name: 'copycat', slug: body.slug }), 409);
  });

  it('answers 400 naming limit to limit=500', async () => {
    const reply = await as(owner).call<Problem>('GET', '/v1/projects?limit=500');
    expectClientError(reply, 400);
    expect(fields(reply)).toEqual([expect.stringMatching(/(^|\.)limit$/)]);
  });

  it('answers 400 naming an unknown body field', async () => {
    const reply = await as(owner).call<Problem>('POST', '/v1/projects', { name: 'strict', colour: 'red' });
    expectClientError(reply, 400);
    expect(fields(reply)).toEqual(['body.colour']);
  });
});
