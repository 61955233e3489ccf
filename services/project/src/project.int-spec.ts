import { randomUUID } from 'node:crypto';
import { loadConfig } from '@bulkhead/config';
import {
  AuthServiceService,
  CLIENT_IP_METADATA_KEY,
  CLIENT_USER_AGENT_METADATA_KEY,
  MembershipServiceService,
  OrgServiceService,
  ProjectServiceClient,
  type Project,
  type ProjectServiceService,
} from '@bulkhead/contracts';
import type { AuditEvent } from '@bulkhead/audit';
import { migrateShards, runMigrations, shardMigrationsDir, uuidv7 } from '@bulkhead/database';
import { AppError } from '@bulkhead/errors';
import {
  closeGrpcClient,
  createGrpcClient,
  createGrpcServer,
  REQUEST_ID_METADATA_KEY,
  type AnyServiceDefinition,
  type GrpcClient,
  type GrpcServer,
  type ServiceImplementation,
} from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { tenantKey } from '@bulkhead/tenant-cache';
import { auditOutboxEvents, loadDevstackEnv, toServiceEnvironment, withPgClient, workspaceRoot } from '@bulkhead/testkit';
import {
  AUTHORIZATION_METADATA_KEY,
  bearerMetadata,
  buildJwks,
  createTokenIssuer,
  generateSigningKey,
  toJwksMessage,
  type PrincipalType,
  type TokenIssuer,
} from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { projectConfigShape } from './project.config';
import { PROJECT_MIGRATIONS_SCOPE, startProjectServer, type ProjectServer } from './project.server';

const devstack = loadDevstackEnv();
const services = toServiceEnvironment(devstack);
const ISSUER = 'https://auth.bulkhead.test';
const AUDIENCE = 'bulkhead';

let issuer: TokenIssuer;
let fakes: GrpcServer;
let server: ProjectServer;
let client: GrpcClient<typeof ProjectServiceService>;
let redis: Redis;

/** The fake auth's organization members (`<orgId>:<userId>` → role) and the fake org's plans. */
const orgMembers = new Map<string, string>();
const plans = new Map<string, string>();
/** Every `authorization` value the fakes received, to prove the caller's token is forwarded. */
const forwarded: string[] = [];

/** A fake of one of our services: the listed methods, UNIMPLEMENTED for the rest. */
function fakeOf<Def extends AnyServiceDefinition>(definition: Def, handlers: Partial<ServiceImplementation<Def>>): ServiceImplementation<Def> {
  const unimplemented = async (): Promise<never> => {
    throw new AppError({ kind: 'UNIMPLEMENTED', code: 'UNIMPLEMENTED', message: 'not faked' });
  };
  const given = handlers as Record<string, unknown>;
  return Object.fromEntries(Object.keys(definition).map((key) => [key, given[key] ?? unimplemented])) as ServiceImplementation<Def>;
}

function callerTokenOf(metadata: { get(key: string): unknown[] }): { tid: string } {
  const [value] = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (typeof value !== 'string') throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'no token' });
  forwarded.push(value);
  return { tid: String(decodeJwt(value.replace(/^Bearer /, '')).tid) };
}

interface Actor {
  orgId: string;
  userId: string;
  token: string;
}

async function tokenFor(orgId: string, role: string, principalType: PrincipalType = 'user', userId: string = randomUUID()): Promise<Actor> {
  const issued = await issuer.issueAccessToken({ sub: userId, tid: orgId, role, sid: randomUUID(), scope: [], principalType });
  if (principalType === 'user') orgMembers.set(`${orgId}:${userId}`, role);
  return { orgId, userId, token: issued.token };
}

/** A fresh organization on `plan` with its owner. */
async function newOrg(plan = 'basic'): Promise<Actor> {
  const orgId = uuidv7();
  plans.set(orgId, plan);
  return tokenFor(orgId, 'owner');
}

const as = (actor: Actor) => ({ metadata: bearerMetadata(actor.token) });

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected an AppError rejection, got ${String(outcome)}`);
  return outcome;
}

async function create(actor: Actor, name: string, extra: { description?: string; settings?: Record<string, unknown> } = {}): Promise<Project> {
  const { project } = await client.createProject({ name, description: extra.description ?? '', settings: extra.settings }, as(actor));
  if (project === undefined) throw new Error('no project in the reply');
  return project;
}

async function listNames(actor: Actor, includeArchived = false): Promise<string[]> {
  const { items } = await client.listProjects({ page: { pageSize: 200, cursor: '' }, includeArchived }, as(actor));
  return items.map((p) => p.name);
}

/** A tenant's rows on the shards, read directly as the service role with the tenant set. */
async function shardRows(tenantId: string, sql: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const shard of devstack.shards) {
    await withPgClient(shard.url, async (pg) => {
      await pg.query('BEGIN');
      await pg.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
      rows.push(...(await pg.query(sql)).rows);
      await pg.query('ROLLBACK');
    });
  }
  return rows;
}

beforeAll(async () => {
  const servicesDir = `${workspaceRoot()}/services`;
  // Placement overrides live in identity; the project schema on every shard.
  await runMigrations({ databaseUrl: services['IDENTITY_DATABASE_OWNER_URL'] ?? '', migrationsDir: `${servicesDir}/auth/migrations/identity`, scope: 'auth' });
  for (const scope of [PROJECT_MIGRATIONS_SCOPE, 'audit']) {
    await migrateShards({ shards: devstack.shards.map((s) => ({ id: s.id, url: s.ownerUrl })), migrationsDir: shardMigrationsDir(servicesDir, scope), scope });
  }

  const key = await generateSigningKey();
  issuer = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, keys: () => key, ttlSeconds: 300 });
  const logger = createLogger({ service: 'project-int', level: 'silent' });
  fakes = createGrpcServer({ logger });
  fakes.addService(AuthServiceService, fakeOf(AuthServiceService, { getJwks: async () => toJwksMessage(buildJwks([key.publicJwk])) }));
  fakes.addService(
    MembershipServiceService,
    fakeOf(MembershipServiceService, {
      getMember: async ({ userId }, ctx) => {
        const { tid } = callerTokenOf(ctx.metadata);
        const role = orgMembers.get(`${tid}:${userId}`);
        if (role === undefined) throw new AppError({ kind: 'NOT_FOUND', code: 'MEMBER_NOT_FOUND', message: 'Member not found' });
        return { member: { userId, email: `${userId}@example.test`, name: 'someone', role, joinedAt: new Date().toISOString() } };
      },
    }),
  );
  fakes.addService(
    OrgServiceService,
    fakeOf(OrgServiceService, {
      getOrganization: async ({ id }, ctx) => {
        const { tid } = callerTokenOf(ctx.metadata);
        const plan = plans.get(id);
        if (plan === undefined || tid !== id) throw new AppError({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND', message: 'Organization not found' });
        return { organization: { id, name: 'org', slug: `org-${id.slice(0, 8)}`, plan, settings: {} } };
      },
    }),
  );
  const fakePort = await fakes.listen('127.0.0.1:0');

  const config = loadConfig(projectConfigShape, {
    ...services,
    GRPC_PORT: '0',
    MIGRATIONS_DIR: servicesDir,
    PLACEMENT_DATABASE_URL: services['IDENTITY_DATABASE_URL'] ?? '',
    AUTH_GRPC_ADDRESS: `127.0.0.1:${fakePort}`,
    ORG_GRPC_ADDRESS: `127.0.0.1:${fakePort}`,
    TOKEN_ISSUER: ISSUER,
    TOKEN_AUDIENCE: AUDIENCE,
  });
  server = await startProjectServer(config, { logger, registry: createMetricsRegistry('project') });
  client = createGrpcClient(ProjectServiceClient, `127.0.0.1:${server.port}`, { defaultDeadlineMs: 20_000 });
  redis = new Redis(services['REDIS_URL'] ?? '');
});

afterAll(async () => {
  closeGrpcClient(client);
  await server.stop(1000);
  await fakes.shutdown({ timeoutMs: 1000 });
  redis.disconnect();
});

describe('projects', () => {
  it('create → get → list → update → archive → delete, the creator becoming project admin', async () => {
    const owner = await newOrg();
    const created = await create(owner, '  Apollo  ', { description: 'to the moon', settings: { color: 'blue', nested: { n: 1 } } });
    expect(created).toMatchObject({ name: 'Apollo', description: 'to the moon', settings: { color: 'blue', nested: { n: 1 } }, archived: false });
    expect(forwarded).toContain(`Bearer ${owner.token}`);

    expect(await client.getProject({ id: created.id }, as(owner))).toEqual({ project: created, callerProjectRole: 'admin' });
    expect((await client.listProjectMembers({ projectId: created.id }, as(owner))).items).toEqual([
      expect.objectContaining({ userId: owner.userId, role: 'admin' }),
    ]);
    const second = await create(owner, 'Gemini');
    expect(await listNames(owner)).toEqual(['Gemini', 'Apollo']);

    const { project: updated } = await client.updateProject({ id: created.id, description: 'changed', settings: { color: 'red' } }, as(owner));
    expect(updated).toMatchObject({ name: 'Apollo', description: 'changed', settings: { color: 'red' }, archived: false });
    expect(Date.parse(updated?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(created.updatedAt ?? ''));

    const { project: renamed } = await client.updateProject({ id: created.id, name: 'Apollo 11' }, as(owner));
    expect(renamed).toMatchObject({ name: 'Apollo 11', description: 'changed', settings: { color: 'red' } });

    await client.updateProject({ id: second.id, archived: true }, as(owner));
    expect(await listNames(owner)).toEqual(['Apollo 11']);
    expect(await listNames(owner, true)).toEqual(['Gemini', 'Apollo 11']);
    expect((await client.getProjectUsage({}, as(owner))).projects).toBe(2);

    await client.deleteProject({ id: created.id }, as(owner));
    expect(await rejection(client.getProject({ id: created.id }, as(owner)))).toMatchObject({ kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND' });
    expect(await shardRows(owner.orgId, `SELECT user_id FROM project_members WHERE project_id = '${created.id}'`)).toEqual([]);
    expect((await client.getProjectUsage({}, as(owner))).projects).toBe(1);
  });

  it('pages newest first with a cursor', async () => {
    const owner = await newOrg('professional');
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await create(owner, name);
    const seen: string[] = [];
    let cursor = '';
    do {
      const { items, page } = await client.listProjects({ page: { pageSize: 2, cursor }, includeArchived: false }, as(owner));
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((p) => p.name));
      cursor = page?.nextCursor ?? '';
    } while (cursor !== '');
    expect(seen).toEqual(['p5', 'p4', 'p3', 'p2', 'p1']);
  });

  it('a name is unique within an organization, case-insensitively, and free in another', async () => {
    const owner = await newOrg();
    const first = await create(owner, 'Mercury');
    for (const name of ['Mercury', 'MERCURY ']) {
      const taken = await rejection(create(owner, name));
      expect(taken).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'PROJECT_NAME_TAKEN' });
      expect(taken.fieldViolations.map((v) => v.field)).toEqual(['name']);
    }
    const other = await create(owner, 'Venus');
    expect(await rejection(client.updateProject({ id: other.id, name: 'mercury' }, as(owner)))).toMatchObject({ code: 'PROJECT_NAME_TAKEN' });

    const elsewhere = await newOrg();
    expect((await create(elsewhere, 'Mercury')).id).not.toBe(first.id);
  });

  it('a viewer or auditor cannot create projects; a member can, and administers what they create', async () => {
    const owner = await newOrg();
    for (const role of ['viewer', 'auditor']) {
      const denied = await rejection(create(await tokenFor(owner.orgId, role), `by ${role}`));
      expect(denied).toMatchObject({ kind: 'PERMISSION_DENIED', details: { permission: 'projects.create' } });
    }
    const member = await tokenFor(owner.orgId, 'member');
    const own = await create(member, 'by member');
    await client.updateProject({ id: own.id, description: 'mine' }, as(member));
    expect(await shardRows(owner.orgId, `SELECT role FROM project_members WHERE project_id = '${own.id}'`)).toEqual([{ role: 'admin' }]);
    expect((await client.getProjectUsage({}, as(member))).projects).toBe(1);
  });

  it('an API key creates projects without becoming a project member', async () => {
    const owner = await newOrg();
    const key = await tokenFor(owner.orgId, 'admin', 'apiKey');
    const project = await create(key, 'by key');
    expect(await shardRows(owner.orgId, `SELECT * FROM project_members WHERE project_id = '${project.id}'`)).toEqual([]);
    const restrictedKey = await tokenFor(owner.orgId, 'member', 'apiKey');
    expect(await listNames(restrictedKey)).toEqual([]);
    expect(await rejection(client.getProject({ id: project.id }, as(restrictedKey)))).toMatchObject({ kind: 'NOT_FOUND' });
  });
});

describe('project roles and visibility', () => {
  it('a project editor edits only its own project; members and viewers see only theirs', async () => {
    const owner = await newOrg();
    const mine = await create(owner, 'Editors here');
    const other = await create(owner, 'Not for editors');
    const editor = await tokenFor(owner.orgId, 'member');
    const viewer = await tokenFor(owner.orgId, 'viewer');
    await client.setProjectMember({ projectId: mine.id, userId: editor.userId, role: 'editor' }, as(owner));
    await client.setProjectMember({ projectId: other.id, userId: viewer.userId, role: 'viewer' }, as(owner));

    expect((await client.getProject({ id: mine.id }, as(editor))).callerProjectRole).toBe('editor');
    expect((await client.getProject({ id: other.id }, as(await tokenFor(owner.orgId, 'auditor')))).callerProjectRole).toBe('');
    const { project } = await client.updateProject({ id: mine.id, name: 'Edited by editor' }, as(editor));
    expect(project?.name).toBe('Edited by editor');
    for (const call of [
      client.updateProject({ id: other.id, name: 'hijacked' }, as(editor)),
      client.getProject({ id: other.id }, as(editor)),
      client.listProjectMembers({ projectId: other.id }, as(editor)),
    ]) {
      expect(await rejection(call)).toMatchObject({ kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND' });
    }
    expect(await rejection(client.deleteProject({ id: mine.id }, as(editor)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(
      await rejection(client.setProjectMember({ projectId: mine.id, userId: viewer.userId, role: 'admin' }, as(editor))),
    ).toMatchObject({ kind: 'PERMISSION_DENIED' });

    expect(await listNames(editor)).toEqual(['Edited by editor']);
    expect(await listNames(viewer)).toEqual(['Not for editors']);
    expect(await rejection(client.updateProject({ id: other.id, description: 'x' }, as(viewer)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await listNames(await tokenFor(owner.orgId, 'auditor'))).toEqual(['Not for editors', 'Edited by editor']);
    expect(await listNames(await tokenFor(owner.orgId, 'admin'))).toEqual(['Not for editors', 'Edited by editor']);
    expect((await client.getProject({ id: other.id }, as(owner))).project?.name).toBe('Not for editors');
  });

  it('project members: only org members, only project roles, changed and removed', async () => {
    const owner = await newOrg();
    const project = await create(owner, 'Crew');
    const member = await tokenFor(owner.orgId, 'member');

    const stranger = randomUUID();
    const notMember = await rejection(client.setProjectMember({ projectId: project.id, userId: stranger, role: 'viewer' }, as(owner)));
    expect(notMember).toMatchObject({ kind: 'NOT_FOUND', code: 'NOT_AN_ORG_MEMBER' });
    expect(notMember.fieldViolations.map((v) => v.field)).toEqual(['userId']);
    const badRole = await rejection(client.setProjectMember({ projectId: project.id, userId: member.userId, role: 'owner' }, as(owner)));
    expect(badRole).toMatchObject({ kind: 'INVALID_ARGUMENT' });
    expect(badRole.fieldViolations.map((v) => v.field)).toEqual(['role']);

    await client.setProjectMember({ projectId: project.id, userId: member.userId, role: 'viewer' }, as(owner));
    const { member: promoted } = await client.setProjectMember({ projectId: project.id, userId: member.userId, role: 'admin' }, as(owner));
    expect(promoted).toMatchObject({ userId: member.userId, role: 'admin' });
    // A project admin manages members of that project.
    await client.removeProjectMember({ projectId: project.id, userId: owner.userId }, as(member));
    const { items } = await client.listProjectMembers({ projectId: project.id }, as(owner));
    expect(items.map((m) => [m.userId, m.role])).toEqual([[member.userId, 'admin']]);

    await client.removeProjectMember({ projectId: project.id, userId: member.userId }, as(owner));
    expect(await rejection(client.removeProjectMember({ projectId: project.id, userId: member.userId }, as(owner)))).toMatchObject({
      kind: 'NOT_FOUND',
      code: 'PROJECT_MEMBER_NOT_FOUND',
    });
    expect(await rejection(client.getProject({ id: project.id }, as(member)))).toMatchObject({ kind: 'NOT_FOUND' });
  });
});

/** A tenant's audit events still in the shards' outbox. */
const outboxEvents = async (tenantId: string): Promise<AuditEvent[]> =>
  (await auditOutboxEvents(devstack.shards.map((shard) => shard.ownerUrl), tenantId)) as AuditEvent[];

describe('audit events, in the transaction of the change', () => {
  it('every change records exactly one event with actor, resource, request id, client and changes; a refused change records none', async () => {
    const owner = await newOrg();
    const member = await tokenFor(owner.orgId, 'member');
    const metadata = bearerMetadata(owner.token);
    metadata.set(CLIENT_IP_METADATA_KEY, '203.0.113.7');
    metadata.set(CLIENT_USER_AGENT_METADATA_KEY, 'spec-agent/1');
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-audit-1');
    const { project } = await client.createProject({ name: 'Audited', description: '', settings: { apiKey: 'sk-123', color: 'red' } }, { metadata });
    if (project === undefined) throw new Error('no project in the reply');

    await rejection(client.createProject({ name: 'Audited', description: '' }, as(owner))); // name taken: rolled back
    await client.updateProject({ id: project.id, name: 'Audited 2' }, as(owner));
    await client.setProjectMember({ projectId: project.id, userId: member.userId, role: 'viewer' }, as(owner));
    await client.setProjectMember({ projectId: project.id, userId: member.userId, role: 'editor' }, as(owner));
    await client.removeProjectMember({ projectId: project.id, userId: member.userId }, as(owner));
    await client.deleteProject({ id: project.id }, as(owner));

    const events = await outboxEvents(owner.orgId);
    expect(events.map((e) => e.action)).toEqual([
      'project.created',
      'project.updated',
      'project_member.set',
      'project_member.set',
      'project_member.removed',
      'project.deleted',
    ]);
    expect(events[0]).toMatchObject({
      tenantId: owner.orgId,
      actor: { type: 'user', id: owner.userId },
      resource: { type: 'project', id: project.id },
      outcome: 'success',
      requestId: 'req-audit-1',
      ip: '203.0.113.7',
      userAgent: 'spec-agent/1',
      changes: { after: { name: 'Audited', settings: { apiKey: '[REDACTED]', color: 'red' }, archived: false } },
    });
    expect(events[1]?.changes).toMatchObject({ before: { name: 'Audited' }, after: { name: 'Audited 2' } });
    expect(events[2]?.changes).toEqual({ after: { role: 'viewer' } });
    expect(events[3]?.changes).toEqual({ before: { role: 'viewer' }, after: { role: 'editor' } });
    expect(events[4]).toMatchObject({ resource: { type: 'project_member', id: `${project.id}/${member.userId}` }, changes: { before: { role: 'editor' } } });
    expect(events[5]).toMatchObject({ resource: { type: 'project', id: project.id }, changes: { before: { name: 'Audited 2' } } });
  });

  it('an API key is the actor of what it does', async () => {
    const owner = await newOrg();
    const key = await tokenFor(owner.orgId, 'admin', 'apiKey');
    const project = await create(key, 'By key');
    expect(await outboxEvents(owner.orgId)).toEqual([
      expect.objectContaining({ action: 'project.created', actor: { type: 'apiKey', id: key.userId }, resource: { type: 'project', id: project.id } }),
    ]);
  });
});

describe('access.denied, once per refused call, in the caller’s tenant', () => {
  it('a 403 and a cross-tenant 404 each record one access.denied (outcome denied, the RPC and error kind) and nothing of the refused change', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const viewer = await tokenFor(a.orgId, 'viewer');
    const project = await create(a, 'Guarded');
    const before = await outboxEvents(a.orgId);

    expect(await rejection(client.createProject({ name: 'Nope', description: '' }, as(viewer)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(client.getProject({ id: project.id }, as(b)))).toMatchObject({ kind: 'NOT_FOUND' });
    // The membership check at auth answers NOT_FOUND to the project service, which answers (and records) it once.
    const stranger = randomUUID();
    expect(await rejection(client.setProjectMember({ projectId: project.id, userId: stranger, role: 'viewer' }, as(a)))).toMatchObject({
      kind: 'NOT_FOUND',
    });

    const aEvents = (await outboxEvents(a.orgId)).slice(before.length);
    expect(aEvents).toEqual([
      expect.objectContaining({
        action: 'access.denied',
        outcome: 'denied',
        actor: { type: 'user', id: viewer.userId },
        resource: { type: 'CreateProject' },
        metadata: { rpc: '/bulkhead.project.v1.ProjectService/CreateProject', errorKind: 'PERMISSION_DENIED', errorCode: expect.any(String) },
      }),
      expect.objectContaining({
        action: 'access.denied',
        actor: { type: 'user', id: a.userId },
        resource: { type: 'SetProjectMember', id: project.id },
        metadata: expect.objectContaining({ errorKind: 'NOT_FOUND', errorCode: 'NOT_AN_ORG_MEMBER' }),
      }),
    ]);
    expect(await outboxEvents(b.orgId)).toEqual([
      expect.objectContaining({
        tenantId: b.orgId,
        action: 'access.denied',
        actor: { type: 'user', id: b.userId },
        resource: { type: 'project', id: project.id },
        metadata: expect.objectContaining({ rpc: '/bulkhead.project.v1.ProjectService/GetProject', errorKind: 'NOT_FOUND' }),
      }),
    ]);
  });
});

describe('plan limits', () => {
  it('past the plan’s project limit → QUOTA_EXCEEDED naming the limit and the plan; a new plan applies once its cache entry is invalidated', async () => {
    const owner = await newOrg('basic');
    for (const name of ['one', 'two', 'three']) await create(owner, name);
    const exceeded = await rejection(create(owner, 'four'));
    expect(exceeded).toMatchObject({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED', details: { limit: 'projects', plan: 'basic', max: '3' } });
    expect(await redis.get(tenantKey(owner.orgId, 'org', 'plan'))).toBe('"basic"');

    plans.set(owner.orgId, 'professional');
    await redis.del(tenantKey(owner.orgId, 'org', 'plan'));
    expect((await create(owner, 'four')).name).toBe('four');
  });

  it('holds under 6 concurrent creates: exactly the limit succeed', async () => {
    const owner = await newOrg('basic');
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => create(owner, `race ${i}`)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(outcome.reason).toMatchObject({ kind: 'QUOTA_EXCEEDED', details: { limit: 'projects', plan: 'basic' } });
    }
    expect(await shardRows(owner.orgId, 'SELECT id FROM projects')).toHaveLength(3);
  });
});

describe('tenant isolation', () => {
  it('org B with org A’s ids gets NOT_FOUND on every RPC, and A’s rows stay as they were', async () => {
    const a = await newOrg();
    const aMember = await tokenFor(a.orgId, 'member');
    const project = await create(a, 'A secret');
    await client.setProjectMember({ projectId: project.id, userId: aMember.userId, role: 'editor' }, as(a));
    const snapshot = async () => ({
      projects: await shardRows(a.orgId, 'SELECT * FROM projects ORDER BY id'),
      members: await shardRows(a.orgId, 'SELECT * FROM project_members ORDER BY user_id'),
    });
    const before = await snapshot();

    const b = await newOrg();
    const bMember = await tokenFor(b.orgId, 'member');
    const bProject = await create(b, 'B own');
    const matrix: Array<[string, () => Promise<unknown>]> = [
      ['GetProject', () => client.getProject({ id: project.id }, as(b))],
      ['UpdateProject', () => client.updateProject({ id: project.id, name: 'pwned', archived: true }, as(b))],
      ['DeleteProject', () => client.deleteProject({ id: project.id }, as(b))],
      ['ListProjectMembers', () => client.listProjectMembers({ projectId: project.id }, as(b))],
      ['SetProjectMember', () => client.setProjectMember({ projectId: project.id, userId: bMember.userId, role: 'admin' }, as(b))],
      ['SetProjectMember (A’s user)', () => client.setProjectMember({ projectId: project.id, userId: aMember.userId, role: 'admin' }, as(b))],
      ['RemoveProjectMember', () => client.removeProjectMember({ projectId: project.id, userId: aMember.userId }, as(b))],
    ];
    for (const [rpc, call] of matrix) {
      const error = await rejection(call());
      expect({ rpc, kind: error.kind, code: error.code }).toEqual({ rpc, kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND' });
    }
    expect(await listNames(b, true)).toEqual(['B own']);
    expect((await client.getProjectUsage({}, as(b))).projects).toBe(1);
    // B's project id with A's token does not reach B's project either.
    expect(await rejection(client.getProject({ id: bProject.id }, as(a)))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await snapshot()).toEqual(before);
  });

  it('the service role without app.tenant_id is refused by the shard; with B’s setting it sees none of A’s rows', async () => {
    const a = await newOrg();
    await create(a, 'RLS target');
    const b = await newOrg();
    for (const shard of devstack.shards) {
      await withPgClient(shard.url, async (pg) => {
        expect((await pg.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role).toBe('bulkhead_app');
        await expect(pg.query('SELECT * FROM projects')).rejects.toThrow(/app\.tenant_id/);
        await expect(pg.query('SELECT * FROM project_members')).rejects.toThrow(/app\.tenant_id/);
      });
    }
    expect(await shardRows(b.orgId, 'SELECT * FROM projects')).toEqual([]);
    expect(await shardRows(a.orgId, 'SELECT name FROM projects')).toEqual([{ name: 'RLS target' }]);
  });
});

describe('bad input', () => {
  const notUuid = 'not-a-uuid';
  const cases: Array<[string, string, () => Promise<unknown>]> = [
    ['GetProject', 'id', () => client.getProject({ id: notUuid }, as(badInputOwner))],
    ['UpdateProject', 'id', () => client.updateProject({ id: notUuid, name: 'x' }, as(badInputOwner))],
    ['DeleteProject', 'id', () => client.deleteProject({ id: '' }, as(badInputOwner))],
    ['ListProjectMembers', 'projectId', () => client.listProjectMembers({ projectId: notUuid }, as(badInputOwner))],
    ['SetProjectMember', 'projectId', () => client.setProjectMember({ projectId: notUuid, userId: randomUUID(), role: 'viewer' }, as(badInputOwner))],
    ['SetProjectMember', 'userId', () => client.setProjectMember({ projectId: randomUUID(), userId: notUuid, role: 'viewer' }, as(badInputOwner))],
    ['RemoveProjectMember', 'userId', () => client.removeProjectMember({ projectId: randomUUID(), userId: '1; DROP TABLE projects' }, as(badInputOwner))],
    ['CreateProject', 'name', () => client.createProject({ name: '   ', description: '' }, as(badInputOwner))],
    ['CreateProject', 'name', () => client.createProject({ name: 'x'.repeat(101), description: '' }, as(badInputOwner))],
    ['CreateProject', 'description', () => client.createProject({ name: 'ok', description: 'x'.repeat(2001) }, as(badInputOwner))],
    ['CreateProject', 'settings', () => client.createProject({ name: 'ok', description: '', settings: { blob: 'x'.repeat(16 * 1024) } }, as(badInputOwner))],
    ['ListProjects', 'page.cursor', () => client.listProjects({ page: { pageSize: 10, cursor: 'garbage' }, includeArchived: false }, as(badInputOwner))],
  ];
  let badInputOwner: Actor;
  beforeAll(async () => {
    badInputOwner = await newOrg();
  });

  it.each(cases)('%s → INVALID_ARGUMENT naming %s', async (_rpc, field, call) => {
    const error = await rejection(call());
    expect(error.kind).toBe('INVALID_ARGUMENT');
    expect(error.fieldViolations.map((v) => v.field)).toContain(field);
  });

  it('nothing was written by the refused requests', async () => {
    expect(await shardRows(badInputOwner.orgId, 'SELECT id FROM projects')).toEqual([]);
  });

  it('no token → UNAUTHENTICATED', async () => {
    expect(await rejection(client.getProjectUsage({}))).toMatchObject({ kind: 'UNAUTHENTICATED' });
  });
});
