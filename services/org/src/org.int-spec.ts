import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, shardMapSchema, type ShardMap } from '@bulkhead/config';
import type { AuditEvent } from '@bulkhead/audit';
import { CLIENT_IP_METADATA_KEY, OrgServiceClient, type OrgServiceService } from '@bulkhead/contracts';
import { createInMemoryPlacementSource, createShardRouter, migrateAll, uuidv7 } from '@bulkhead/database';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { tenantKey } from '@bulkhead/tenant-cache';
import { auditOutboxEvents, loadDevstackEnv, toServiceEnvironment, withPgClient, workspaceRoot } from '@bulkhead/testkit';
import { bearerMetadata, createTokenIssuer, generateSigningKey, type PrincipalType, type TokenIssuer } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import { orgConfigShape } from './org.config';
import { startOrgServer, type OrgServer } from './org.server';
import { startFakeUpstreams, type FakeUpstreams } from './testing/fake-upstreams';

const TEST_ISSUER = 'https://auth.bulkhead.test';
const TEST_AUDIENCE = 'bulkhead';

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const shards: ShardMap = shardMapSchema.parse(JSON.parse(environment['SHARD_MAP'] ?? '[]'));
const router = createShardRouter({ shards, placements: createInMemoryPlacementSource() });
const logger = createLogger({ service: 'org-int', level: 'silent' });

let issuer: TokenIssuer;
let upstreams: FakeUpstreams;
let server: OrgServer;
let org: GrpcClient<typeof OrgServiceService>;
let redis: Redis;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected an AppError rejection, got ${String(outcome)}`);
  return outcome;
}

async function tokenFor(tenantId: string, role: string, options: { sub?: string; type?: PrincipalType } = {}): Promise<string> {
  const issued = await issuer.issueAccessToken({
    sub: options.sub ?? uuidv7(),
    tid: tenantId,
    role,
    sid: uuidv7(),
    scope: [],
    ...(options.type === undefined ? {} : { principalType: options.type }),
  });
  return issued.token;
}

const serviceToken = (tenantId: string) => tokenFor(tenantId, 'service', { sub: 'auth', type: 'service' });
const as = (token: string) => ({ metadata: bearerMetadata(token) });

/** Runs `fn` on the tenant's shard as the service role with the tenant set, as withTenant would. */
async function onShard<T>(shardUrl: string, tenantId: string, fn: (client: Client) => Promise<T>): Promise<T> {
  return withPgClient(shardUrl, async (client) => {
    await client.query('BEGIN');
    await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

async function onTenantShard<T>(tenantId: string, fn: (client: Client) => Promise<T>): Promise<T> {
  return onShard((await router.shardFor(tenantId)).url, tenantId, fn);
}

/** The tenant's rows of every org-service table, to compare before and after an attack. */
async function snapshot(tenantId: string): Promise<unknown> {
  return onTenantShard(tenantId, async (client) => ({
    organizations: (await client.query('SELECT * FROM organizations WHERE tenant_id = $1', [tenantId])).rows,
    invitations: (await client.query('SELECT * FROM invitations WHERE tenant_id = $1 ORDER BY id', [tenantId])).rows,
  }));
}

interface TestOrg {
  id: string;
  slug: string;
  ownerId: string;
  owner: string;
  admin: string;
  viewer: string;
}

/** Provisions an org as auth would, with an owner, and members in the fake registry. */
async function newOrg(label: string, extraMembers = 0): Promise<TestOrg> {
  const id = uuidv7();
  const slug = `${label}-${randomBytes(4).toString('hex')}`;
  await org.provisionOrganization({ name: `${label} org`, slug }, as(await serviceToken(id)));
  const ownerId = uuidv7();
  upstreams.state.members.set(id, [
    { userId: ownerId, email: `${label}-owner@example.test`, name: 'Owner', role: 'owner', joinedAt: new Date().toISOString() },
    ...Array.from({ length: extraMembers }, (_, i) => ({
      userId: uuidv7(),
      email: `${label}-m${i}@example.test`,
      name: `Member ${i}`,
      role: 'member',
      joinedAt: new Date().toISOString(),
    })),
  ]);
  return {
    id,
    slug,
    ownerId,
    owner: await tokenFor(id, 'owner', { sub: ownerId }),
    admin: await tokenFor(id, 'admin'),
    viewer: await tokenFor(id, 'viewer'),
  };
}

const invite = (o: TestOrg, email: string, options: { role?: string; token?: string; hours?: number } = {}) =>
  org.createInvitation({ organizationId: o.id, email, role: options.role ?? 'member', expiresInHours: options.hours ?? 0 }, as(options.token ?? o.owner));

beforeAll(async () => {
  const servicesDir = path.join(workspaceRoot(), 'services');
  // Every service's migrations, as the migrate CLI applies them: the shards and the identity
  // database (where placements are read).
  await migrateAll({
    servicesDir,
    shards: shardMapSchema.parse(JSON.parse(environment['SHARD_OWNER_MAP'] ?? '[]')),
    identityDatabaseUrl: environment['IDENTITY_DATABASE_OWNER_URL'],
    auditDatabaseUrl: environment['AUDIT_DATABASE_OWNER_URL'],
  });
  const key = await generateSigningKey();
  issuer = createTokenIssuer({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, keys: () => key, ttlSeconds: 300 });
  upstreams = await startFakeUpstreams(key, logger);
  const config = loadConfig(orgConfigShape, {
    ...environment,
    GRPC_PORT: '0',
    MIGRATIONS_DIR: servicesDir,
    PLACEMENT_DATABASE_URL: environment['IDENTITY_DATABASE_URL'] ?? '',
    AUTH_GRPC_ADDRESS: upstreams.address,
    PROJECT_GRPC_ADDRESS: upstreams.address,
    TOKEN_ISSUER: TEST_ISSUER,
    TOKEN_AUDIENCE: TEST_AUDIENCE,
  });
  server = await startOrgServer(config, { logger, registry: createMetricsRegistry('org') });
  org = createGrpcClient(OrgServiceClient, `127.0.0.1:${server.port}`, { defaultDeadlineMs: 10_000 });
  redis = new Redis(environment['REDIS_URL'] ?? '');
});

afterAll(async () => {
  closeGrpcClient(org);
  await server.stop(1000);
  await upstreams.stop();
  redis.disconnect();
});

describe('provisioning', () => {
  it('only the service principal provisions; a second call answers the profile unchanged', async () => {
    const id = uuidv7();
    const owner = await tokenFor(id, 'owner');
    expect(await rejection(org.provisionOrganization({ name: 'Acme', slug: 'acme-x1' }, as(owner)))).toMatchObject({ kind: 'PERMISSION_DENIED' });

    const first = await org.provisionOrganization({ name: 'Acme', slug: `acme-${id.slice(-8)}` }, as(await serviceToken(id)));
    expect(first.organization).toMatchObject({ id, name: 'Acme', plan: 'basic', settings: {}, limits: { members: 5, projects: 3 } });
    const second = await org.provisionOrganization({ name: 'Renamed', slug: 'other-slug' }, as(await serviceToken(id)));
    expect(second.organization).toEqual(first.organization);
  });

  it('puts the profile on the shard shardFor names, and on no other', async () => {
    const { id } = await newOrg('placed');
    const home = await router.shardFor(id);
    const counts = await Promise.all(
      shards.map(async (shard) => ({
        shard: shard.id,
        rows: await onShard(shard.url, id, async (c) => (await c.query('SELECT name FROM organizations WHERE tenant_id = $1', [id])).rowCount),
      })),
    );
    expect(counts).toEqual(shards.map((shard) => ({ shard: shard.id, rows: shard.id === home.id ? 1 : 0 })));
  });
});

describe('organizations', () => {
  it('gets the profile through the tenant cache and invalidates it on update', async () => {
    const acme = await newOrg('cache');
    const profileKey = tenantKey(acme.id, 'org', 'profile');
    const got = await org.getOrganization({ id: acme.id.toUpperCase() }, as(acme.viewer));
    expect(got.organization).toMatchObject({ id: acme.id, name: 'cache org', slug: acme.slug, plan: 'basic' });
    expect(JSON.parse((await redis.get(profileKey)) ?? 'null')).toEqual(got.organization);
    await redis.set(tenantKey(acme.id, 'org', 'plan'), JSON.stringify('basic'));

    const updated = await org.updateOrganization(
      { id: acme.id, name: 'Cache Co', slug: `${acme.slug}-2`, settings: { theme: 'dark', nested: { a: [1, 2] } } },
      as(acme.admin),
    );
    expect(updated.organization).toMatchObject({ name: 'Cache Co', slug: `${acme.slug}-2`, settings: { theme: 'dark', nested: { a: [1, 2] } } });
    expect(await redis.exists(profileKey, tenantKey(acme.id, 'org', 'plan'))).toBe(0);
    const registryCall = upstreams.state.calls.filter((c) => c.method === 'UpdateOrganization').pop();
    expect(registryCall).toEqual({ method: 'UpdateOrganization', authorization: `Bearer ${acme.admin}`, request: { name: 'Cache Co', slug: `${acme.slug}-2` } });
    expect((await org.getOrganization({ id: acme.id }, as(acme.viewer))).organization?.name).toBe('Cache Co');
  });

  it('changes the plan only for owners, and validates plan, settings and slug', async () => {
    const acme = await newOrg('plan');
    expect(await rejection(org.updateOrganization({ id: acme.id, plan: 'enterprise' }, as(acme.admin)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(org.updateOrganization({ id: acme.id, name: 'x' }, as(acme.viewer)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(org.updateOrganization({ id: acme.id }, as(acme.viewer)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    const badPlan = await rejection(org.updateOrganization({ id: acme.id, plan: 'platinum' }, as(acme.owner)));
    expect(badPlan.kind).toBe('INVALID_ARGUMENT');
    expect(badPlan.fieldViolations.map((v) => v.field)).toEqual(['plan']);
    const big = await rejection(org.updateOrganization({ id: acme.id, settings: { blob: 'x'.repeat(17 * 1024) } }, as(acme.owner)));
    expect(big.fieldViolations.map((v) => v.field)).toEqual(['settings']);
    const badSlug = await rejection(org.updateOrganization({ id: acme.id, slug: 'Not A Slug' }, as(acme.owner)));
    expect(badSlug.fieldViolations.map((v) => v.field)).toEqual(['slug']);

    upstreams.state.takenSlugs.add('taken-slug');
    expect(await rejection(org.updateOrganization({ id: acme.id, slug: 'taken-slug' }, as(acme.owner)))).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'SLUG_TAKEN' });

    const moved = await org.updateOrganization({ id: acme.id, plan: 'professional' }, as(acme.owner));
    expect(moved.organization).toMatchObject({ plan: 'professional', slug: acme.slug, limits: { members: 50, projects: 50 } });
  });

  it('delete is owner-only, removes the tenant rows on its shard, the registry entry and the cache keys', async () => {
    const acme = await newOrg('doomed');
    await org.createInvitation({ organizationId: acme.id, email: 'x@example.test', role: 'member', expiresInHours: 0 }, as(acme.owner));
    await org.getOrganization({ id: acme.id }, as(acme.owner));
    expect(await rejection(org.deleteOrganization({ id: acme.id }, as(acme.admin)))).toMatchObject({ kind: 'PERMISSION_DENIED' });

    const deletesBefore = upstreams.state.calls.filter((c) => c.method === 'DeleteOrganization').length;
    await org.deleteOrganization({ id: acme.id }, as(acme.owner));
    expect(await snapshot(acme.id)).toEqual({ organizations: [], invitations: [] });
    expect(upstreams.state.calls.filter((c) => c.method === 'DeleteOrganization')).toHaveLength(deletesBefore + 1);
    expect(upstreams.state.calls.filter((c) => c.method === 'DeleteOrganization').pop()?.authorization).toBe(`Bearer ${acme.owner}`);
    expect(await redis.exists(tenantKey(acme.id, 'org', 'profile'))).toBe(0);
    expect(await rejection(org.getOrganization({ id: acme.id }, as(acme.owner)))).toMatchObject({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND' });
  });

  it('lists a user’s organizations from their memberships, a page at a time; an API key sees its own', async () => {
    const acme = await newOrg('lister');
    const userId = uuidv7();
    const ids = [uuidv7(), uuidv7(), uuidv7()];
    upstreams.state.memberships.set(
      userId,
      ids.map((id, i) => ({ organizationId: id, organizationName: `org ${i}`, role: i === 0 ? 'owner' : 'viewer' })),
    );
    const token = await tokenFor(ids[0] as string, 'owner', { sub: userId });
    const first = await org.listOrganizations({ page: { pageSize: 2, cursor: '' } }, as(token));
    const second = await org.listOrganizations({ page: { pageSize: 2, cursor: first.page?.nextCursor ?? '' } }, as(token));
    const expected = ids.map((id, i) => ({ id, name: `org ${i}`, role: i === 0 ? 'owner' : 'viewer' })).sort((x, y) => x.id.localeCompare(y.id));
    expect([...first.items, ...second.items]).toEqual(expected);
    expect(second.page?.nextCursor).toBe('');

    const apiKey = await tokenFor(acme.id, 'member', { type: 'apiKey' });
    expect((await org.listOrganizations({}, as(apiKey))).items).toEqual([{ id: acme.id, name: 'lister org', role: 'member' }]);
  });
});

describe('members', () => {
  it('forwards list, role change and removal to auth with the caller’s token', async () => {
    const acme = await newOrg('team', 2);
    const listed = await org.listMembers({ organizationId: acme.id }, as(acme.viewer));
    expect(listed.items).toHaveLength(3);
    expect(listed.items[0]).toMatchObject({ userId: acme.ownerId, role: 'owner' });
    const target = listed.items[1]?.userId as string;

    expect(await rejection(org.updateMemberRole({ organizationId: acme.id, userId: target, role: 'admin' }, as(acme.viewer)))).toMatchObject({
      kind: 'PERMISSION_DENIED',
    });
    const badRole = await rejection(org.updateMemberRole({ organizationId: acme.id, userId: target, role: 'king' }, as(acme.admin)));
    expect(badRole.fieldViolations.map((v) => v.field)).toEqual(['role']);
    const changed = await org.updateMemberRole({ organizationId: acme.id, userId: target, role: 'admin' }, as(acme.admin));
    expect(changed.member).toMatchObject({ userId: target, role: 'admin' });
    expect(upstreams.state.calls.filter((c) => c.method === 'ChangeMemberRole').pop()?.authorization).toBe(`Bearer ${acme.admin}`);

    const self = await tokenFor(acme.id, 'viewer', { sub: target });
    await org.removeMember({ organizationId: acme.id, userId: target }, as(self));
    expect((await org.listMembers({ organizationId: acme.id }, as(acme.viewer))).items.map((m) => m.userId)).not.toContain(target);
  });
});

describe('invitations', () => {
  it('shows the token once and stores only its SHA-256; lists newest first; refuses a second pending one', async () => {
    const acme = await newOrg('inviter');
    const created = await invite(acme, '  Bob@Example.TEST ');
    expect(created.token).toMatch(/^bhi_[A-Za-z0-9_-]{64}$/);
    expect(created.invitation).toMatchObject({ email: 'bob@example.test', role: 'member', status: 'pending' });
    const hours = (Date.parse(created.invitation?.expiresAt ?? '') - Date.parse(created.invitation?.createdAt ?? '')) / 3_600_000;
    expect(hours).toBe(168);
    const stored = await onTenantShard(acme.id, async (c) => (await c.query('SELECT * FROM invitations WHERE tenant_id = $1', [acme.id])).rows);
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).toEqual(createHash('sha256').update(created.token).digest());
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(4));

    expect(await rejection(invite(acme, 'bob@example.test'))).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'INVITATION_PENDING' });
    expect(await rejection(invite(acme, 'carol@example.test', { token: acme.viewer }))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(invite(acme, 'carol@example.test', { role: 'owner', token: acme.admin }))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    const tooLong = await rejection(invite(acme, 'carol@example.test', { hours: 721 }));
    expect(tooLong.fieldViolations.map((v) => v.field)).toEqual(['expiresInHours']);
    expect((await rejection(invite(acme, 'not-an-email'))).fieldViolations.map((v) => v.field)).toEqual(['email']);

    const second = await invite(acme, 'carol@example.test', { role: 'owner', hours: 720 });
    const page1 = await org.listInvitations({ organizationId: acme.id, page: { pageSize: 1, cursor: '' } }, as(acme.admin));
    const page2 = await org.listInvitations({ organizationId: acme.id, page: { pageSize: 1, cursor: page1.page?.nextCursor ?? '' } }, as(acme.admin));
    expect([...page1.items, ...page2.items].map((i) => i.id)).toEqual([second.invitation?.id, created.invitation?.id]);
    expect(page2.page?.nextCursor).toBe('');
  });

  it('revokes pending invitations only', async () => {
    const acme = await newOrg('revoker');
    const created = await invite(acme, 'dan@example.test');
    const id = created.invitation?.id as string;
    await org.revokeInvitation({ organizationId: acme.id, id }, as(acme.admin));
    const [listed] = (await org.listInvitations({ organizationId: acme.id }, as(acme.admin))).items;
    expect(listed).toMatchObject({ id, status: 'revoked' });
    expect(await rejection(org.revokeInvitation({ organizationId: acme.id, id }, as(acme.admin)))).toMatchObject({
      kind: 'FAILED_PRECONDITION',
      code: 'INVITATION_REVOKED',
      details: { status: 'revoked' },
    });
    expect(await rejection(org.revokeInvitation({ organizationId: acme.id, id: uuidv7() }, as(acme.admin)))).toMatchObject({ kind: 'NOT_FOUND', code: 'INVITATION_NOT_FOUND' });
    // A revoked invitation no longer blocks inviting the same address again.
    await invite(acme, 'dan@example.test');
  });

  it('redeems for the invited email once; retries by the same user answer the same; other cases name why', async () => {
    const acme = await newOrg('redeemer');
    const service = await serviceToken(acme.id);
    const { token, invitation } = await invite(acme, 'erin@example.test', { role: 'admin' });
    const erin = uuidv7();
    const redeem = (t: string, userId: string, email: string, memberCount = 1, auth = service) =>
      org.redeemInvitation({ token: t, userId, email, memberCount }, as(auth));

    expect(await rejection(redeem(token, erin, 'erin@example.test', 1, acme.owner))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(redeem(token, erin, 'mallory@example.test'))).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_EMAIL_MISMATCH' });
    expect(await rejection(redeem(token, erin, 'erin@example.test', 5))).toMatchObject({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED' });
    const redeemed = { role: 'admin', organizationName: 'redeemer org', invitationId: invitation?.id };
    expect(await redeem(token, erin, 'ERIN@example.test')).toEqual(redeemed);
    expect(await redeem(token, erin, 'erin@example.test')).toEqual(redeemed);
    expect(await rejection(redeem(token, uuidv7(), 'erin@example.test'))).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_USED' });
    const [accepted] = (await org.listInvitations({ organizationId: acme.id }, as(acme.owner))).items;
    expect(accepted).toMatchObject({ status: 'accepted', acceptedAt: expect.any(String) });

    const revoked = await invite(acme, 'fay@example.test');
    await org.revokeInvitation({ organizationId: acme.id, id: revoked.invitation?.id as string }, as(acme.owner));
    expect(await rejection(redeem(revoked.token, uuidv7(), 'fay@example.test'))).toMatchObject({ code: 'INVITATION_REVOKED' });

    const expired = await invite(acme, 'gus@example.test', { hours: 1 });
    await onTenantShard(acme.id, (c) =>
      c.query("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE tenant_id = $1 AND id = $2", [acme.id, expired.invitation?.id]),
    );
    expect(await rejection(redeem(expired.token, uuidv7(), 'gus@example.test'))).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_EXPIRED' });

    const unknown = `bhi_${randomBytes(48).toString('base64url')}`;
    expect(await rejection(redeem(unknown, uuidv7(), 'gus@example.test'))).toMatchObject({ kind: 'NOT_FOUND' });
  });

  it('counts members and pending invitations against the plan: past the limit is QUOTA_EXCEEDED (402)', async () => {
    const acme = await newOrg('full', 3); // 4 members of basic's 5
    await invite(acme, 'last@example.test');
    const over = await rejection(invite(acme, 'one-too-many@example.test'));
    expect(over).toMatchObject({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED', details: { limit: 'members', plan: 'basic' } });
  });
});

/** A tenant's audit events still in the shards' outbox. */
const outboxEvents = async (tenantId: string): Promise<AuditEvent[]> =>
  (await auditOutboxEvents(devstack.shards.map((shard) => shard.ownerUrl), tenantId)) as AuditEvent[];

describe('audit events, in the transaction of the change', () => {
  it('update, invitation created and revoked, and delete each record one event; refused ones record none', async () => {
    const acme = await newOrg('audited');
    const metadata = bearerMetadata(acme.owner);
    metadata.set(CLIENT_IP_METADATA_KEY, '198.51.100.4');
    await org.updateOrganization({ id: acme.id, settings: { theme: 'dark', webhookSecret: 's3cr3t' } }, { metadata });
    const created = await invite(acme, 'eve@example.test', { role: 'admin' });
    const invitationId = created.invitation?.id as string;
    await rejection(invite(acme, 'eve@example.test')); // pending already: rolled back
    await org.revokeInvitation({ organizationId: acme.id, id: invitationId }, as(acme.owner));
    await rejection(org.revokeInvitation({ organizationId: acme.id, id: invitationId }, as(acme.owner))); // not pending
    await org.deleteOrganization({ id: acme.id }, as(acme.owner));
    await org.deleteOrganization({ id: acme.id }, as(acme.owner)); // a retry erases nothing and records nothing

    const events = await outboxEvents(acme.id);
    expect(events.map((e) => e.action)).toEqual(['org.updated', 'invitation.created', 'invitation.revoked', 'org.deleted']);
    expect(events[0]).toMatchObject({
      actor: { type: 'user', id: acme.ownerId },
      resource: { type: 'organization', id: acme.id },
      outcome: 'success',
      ip: '198.51.100.4',
      changes: { before: { settings: {} }, after: { settings: { theme: 'dark', webhookSecret: '[REDACTED]' } } },
    });
    expect(events[1]).toMatchObject({ resource: { type: 'invitation', id: invitationId }, changes: { after: { email: 'eve@example.test', role: 'admin' } } });
    expect(JSON.stringify(events[1])).not.toContain(created.token);
    expect(events[2]).toMatchObject({ resource: { type: 'invitation', id: invitationId }, changes: { before: { status: 'pending' } } });
    // The tenant's rows are erased; its event is not (tenant work cannot delete outbox rows).
    expect(events[3]).toMatchObject({ resource: { type: 'organization', id: acme.id }, changes: { before: { slug: acme.slug } } });
    expect(await snapshot(acme.id)).toEqual({ organizations: [], invitations: [] });
  });

  it('a 403 and a cross-tenant 404 are each one access.denied in the caller’s tenant', async () => {
    const acme = await newOrg('denied');
    const other = await newOrg('prober');
    expect(await rejection(org.deleteOrganization({ id: acme.id }, as(acme.viewer)))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await rejection(org.getOrganization({ id: acme.id }, as(other.owner)))).toMatchObject({ kind: 'NOT_FOUND' });

    expect(await outboxEvents(acme.id)).toEqual([
      expect.objectContaining({
        action: 'access.denied',
        outcome: 'denied',
        resource: { type: 'DeleteOrganization', id: acme.id },
        metadata: { rpc: '/bulkhead.org.v1.OrgService/DeleteOrganization', errorKind: 'PERMISSION_DENIED', errorCode: expect.any(String) },
      }),
    ]);
    expect(await outboxEvents(other.id)).toEqual([
      expect.objectContaining({ action: 'access.denied', actor: { type: 'user', id: other.ownerId }, resource: { type: 'organization', id: acme.id } }),
    ]);
  });
});

describe('usage', () => {
  it('counts projects (project service) and members (auth) against the plan, leaving out the items of upstreams it is not given', async () => {
    const acme = await newOrg('usage', 1);
    upstreams.state.projects.set(acme.id, 2);
    const usage = await org.getUsage({ organizationId: acme.id }, as(acme.viewer));
    // No AGENT_/WORKFLOW_GRPC_ADDRESS here: agents, storageBytes, workflows and concurrentRuns are absent, not 0.
    expect(usage).toEqual({
      plan: 'basic',
      items: [
        { resource: 'projects', used: 2, limit: 3, used64: 2, limit64: 3 },
        { resource: 'members', used: 2, limit: 5, used64: 2, limit64: 5 },
      ],
    });
    expect(upstreams.state.calls.filter((c) => c.method === 'GetProjectUsage').pop()?.authorization).toBe(`Bearer ${acme.viewer}`);
  });
});

describe('tenant isolation', () => {
  it('rejects ids that are not UUIDs naming the field', async () => {
    const acme = await newOrg('uuid');
    const bad = await rejection(org.getOrganization({ id: 'acme' }, as(acme.owner)));
    expect(bad).toMatchObject({ kind: 'INVALID_ARGUMENT' });
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(['id']);
    const badOrg = await rejection(org.listInvitations({ organizationId: '1 OR 1=1' }, as(acme.owner)));
    expect(badOrg.fieldViolations.map((v) => v.field)).toEqual(['organizationId']);
  });

  it("RLS backstop: the service role sees nothing without a tenant, and none of A's rows as B", async () => {
    const a = await newOrg('rls-a');
    const b = await newOrg('rls-b');
    await invite(a, 'rls@example.test');
    const { url } = await router.shardFor(a.id);
    for (const table of ['organizations', 'invitations']) {
      const bare = await withPgClient(url, (c) =>
        c.query(`SELECT * FROM ${table}`).then(
          () => 'rows',
          (err: Error) => err.message,
        ),
      );
      expect(bare).toMatch(/app\.tenant_id/);
      const asB = await onShard(url, b.id, async (c) => (await c.query(`SELECT tenant_id FROM ${table} WHERE tenant_id = $1`, [a.id])).rowCount);
      expect(asB).toBe(0);
      const asA = await onShard(url, a.id, async (c) => (await c.query(`SELECT tenant_id FROM ${table} WHERE tenant_id = $1`, [a.id])).rowCount);
      expect(asA).toBe(1);
    }
  });

  it("org B's owner with org A's ids gets NOT_FOUND on every RPC, and A's rows stay as they were", async () => {
    const a = await newOrg('tenant-a', 1);
    const b = await newOrg('tenant-b');
    const invitation = await invite(a, 'target@example.test');
    const invitationId = invitation.invitation?.id as string;
    const memberId = upstreams.state.members.get(a.id)?.[1]?.userId as string;
    const before = await snapshot(a.id);
    const attacker = b.owner;

    const attempts: Record<string, () => Promise<unknown>> = {
      GetOrganization: () => org.getOrganization({ id: a.id }, as(attacker)),
      UpdateOrganization: () => org.updateOrganization({ id: a.id, name: 'pwned', plan: 'enterprise' }, as(attacker)),
      DeleteOrganization: () => org.deleteOrganization({ id: a.id }, as(attacker)),
      ListMembers: () => org.listMembers({ organizationId: a.id }, as(attacker)),
      UpdateMemberRole: () => org.updateMemberRole({ organizationId: a.id, userId: memberId, role: 'owner' }, as(attacker)),
      RemoveMember: () => org.removeMember({ organizationId: a.id, userId: memberId }, as(attacker)),
      CreateInvitation: () => org.createInvitation({ organizationId: a.id, email: 'spy@example.test', role: 'owner', expiresInHours: 0 }, as(attacker)),
      ListInvitations: () => org.listInvitations({ organizationId: a.id }, as(attacker)),
      RevokeInvitation: () => org.revokeInvitation({ organizationId: a.id, id: invitationId }, as(attacker)),
      GetUsage: () => org.getUsage({ organizationId: a.id }, as(attacker)),
      // B's own id with A's invitation: the invitation is not B's.
      'RevokeInvitation (own org id)': () => org.revokeInvitation({ organizationId: b.id, id: invitationId }, as(attacker)),
      // A service token for B cannot redeem A's invitation.
      RedeemInvitation: async () => org.redeemInvitation({ token: invitation.token, userId: uuidv7(), email: 'target@example.test', memberCount: 1 }, as(await serviceToken(b.id))),
    };
    const outcomes: Record<string, string> = {};
    for (const [rpc, attempt] of Object.entries(attempts)) outcomes[rpc] = (await rejection(attempt())).kind;
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(attempts).map((rpc) => [rpc, 'NOT_FOUND'])));

    expect(await snapshot(a.id)).toEqual(before);
    expect(upstreams.state.members.get(a.id)).toHaveLength(2);
    expect((await org.listInvitations({ organizationId: b.id }, as(b.owner))).items).toEqual([]);
    expect((await org.getOrganization({ id: a.id }, as(a.owner))).organization?.name).toBe('tenant-a org');
  });
});
