import {
  createCachedPlacementSource,
  createShardRouter,
  openTenantDatabase,
  pgPlacementLookup,
  shardMigrationsDir,
  type OpenedTenantDatabase,
  type Queryable,
  type ShardRouter,
} from '@bulkhead/database';
import { withPgClient, workspaceRoot, type DevstackEnv } from '@bulkhead/testkit';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Client, QueryResultRow } from 'pg';
import type { RestClient, RestReply } from './rest-client';

export const PASSWORD = 'correct horse battery staple';

/** Auth's settings for specs that sign many users up from one address (127.0.0.1). */
export const MANY_USERS_AUTH_ENV = { LOGIN_MAX_ATTEMPTS_PER_IP: '100000' };

export type Tokens = { accessToken: string; refreshToken: string; expiresIn: number; organizationId: string };

/** A user who signed up, with the organization signup created and a token for it. */
export interface SignedUp {
  email: string;
  userId: string;
  orgId: string;
  tokens: Tokens;
}

export const uniqueEmail = (label: string): string => `${label}-${randomBytes(6).toString('hex')}@example.test`;

/** Asserts the status, showing the body when it differs (the failing response is the diagnosis). */
export function expectStatus(reply: RestReply<unknown>, status: number): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: reply.body });
}

export async function signUp(api: RestClient, label: string): Promise<SignedUp> {
  const email = uniqueEmail(label);
  const reply = await api.call<{ user: { id: string }; organization: { id: string }; accessToken: string; refreshToken: string; expiresIn: number }>(
    'POST',
    '/v1/auth/signup',
    { body: { email, password: PASSWORD, name: `${label} person`, organizationName: `${label} org` } },
  );
  expectStatus(reply, 201);
  const { user, organization, accessToken, refreshToken, expiresIn } = reply.body;
  return { email, userId: user.id, orgId: organization.id, tokens: { accessToken, refreshToken, expiresIn, organizationId: organization.id } };
}

export async function login(api: RestClient, email: string, organizationId?: string): Promise<Tokens> {
  const reply = await api.call<Tokens>('POST', '/v1/auth/login', { body: { email, password: PASSWORD, ...(organizationId === undefined ? {} : { organizationId }) } });
  expectStatus(reply, 200);
  return reply.body;
}

/** Invites a new user into `owner`'s org with `role`; they accept and switch to it. Returns their token for that org. */
export async function joinAs(api: RestClient, owner: SignedUp, role: string, label = role): Promise<SignedUp> {
  const invitee = await signUp(api, label);
  const invited = await api.call<{ token: string }>('POST', `/v1/orgs/${owner.orgId}/invitations`, {
    token: owner.tokens.accessToken,
    body: { email: invitee.email, role },
  });
  expectStatus(invited, 201);
  expectStatus(await api.call('POST', '/v1/invitations/accept', { token: invitee.tokens.accessToken, body: { token: invited.body.token } }), 200);
  const switched = await api.call<Tokens>('POST', '/v1/auth/switch-org', { token: invitee.tokens.accessToken, body: { organizationId: owner.orgId } });
  expectStatus(switched, 200);
  return { ...invitee, orgId: owner.orgId, tokens: switched.body };
}

/** Runs `sql` in a transaction scoped to `tenantId` (`app.tenant_id`; RLS is forced even for a table's owner). */
export async function queryAsTenant<T extends QueryResultRow>(client: Client, tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
    const result = await client.query<T>(sql, params);
    await client.query('COMMIT');
    return result.rows;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/** {@link queryAsTenant} on a fresh connection to `url` (a shard's owner URL). */
export function onShardAsTenant<T extends QueryResultRow>(url: string, tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withPgClient(url, (client) => queryAsTenant<T>(client, tenantId, sql, params));
}

/** The router the services use, over the devstack's shards, with placements read from `identity`. */
export function devstackShardRouter(devstack: DevstackEnv, identity: Queryable): ShardRouter {
  return createShardRouter({
    shards: devstack.shards.map(({ id, url }) => ({ id, url })),
    placements: createCachedPlacementSource(pgPlacementLookup(identity)),
  });
}

/**
 * The devstack's shards as a service role sees them, checked against the audit outbox's
 * migrations: for specs that record audit events through the real outbox (`recordAuditEvent`
 * inside `withTenant`) and let the relay and consumer carry them to the log.
 */
export function openOutboxShards(devstack: DevstackEnv): Promise<OpenedTenantDatabase> {
  return openTenantDatabase({
    shards: devstack.shards.map((shard) => ({ id: shard.id, url: shard.url })),
    maxPerServer: 4,
    placementDatabaseUrl: devstack.identityDatabase.url,
    placementCacheTtlMs: 60_000,
    migrationsDir: shardMigrationsDir(path.join(workspaceRoot(), 'services'), 'audit'),
    scope: 'audit',
  });
}
