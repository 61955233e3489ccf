import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  eventually,
  forgeTokens,
  loadDevstackEnv,
  platformServiceEnvironment,
  startPlatform,
  toServiceEnvironment,
  workspaceRoot,
  type RunningPlatform,
} from '@bulkhead/testkit';
import { importSigningKey, openSealedSecret, type StoredSigningKey } from '@bulkhead/tokens';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { Pool } from 'pg';
import { createRestClient, type RestClient } from './rest-client';
import { login as loginThrough, PASSWORD, signUp as signUpThrough, uniqueEmail, type SignedUp, type Tokens } from './tenants';

const devstack = loadDevstackEnv();
// Auth rereads its keys every 200 ms; a new key signs 6 s after it is published, past the
// gateway's 5 s JWKS refetch cooldown, as production's 60 s is past its 10 s reload.
const AUTH_ENV = {
  SIGNING_KEY_RELOAD_INTERVAL_MS: '200',
  SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '6',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  // Every test call comes from 127.0.0.1; per-IP throttling is covered by the auth service's own spec.
  LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
};

let platform: RunningPlatform;
let api: RestClient;
let identityOwner: Pool;

const signUp = (label: string): Promise<SignedUp> => signUpThrough(api, label);
const login = (email: string, organizationId?: string): Promise<Tokens> => loginThrough(api, email, organizationId);

const me = (token: string, headers?: Record<string, string>) => api.call('GET', '/v1/auth/me', { token, ...(headers === undefined ? {} : { headers }) });

/** Arranges a second membership directly: invitations arrive with the org service. */
async function addMembership(userId: string, orgId: string, role: string): Promise<void> {
  await identityOwner.query('INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [orgId, userId, role]);
}


beforeAll(async () => {
  identityOwner = new Pool({ connectionString: devstack.identityDatabase.ownerUrl, max: 2 });
  platform = await startPlatform({ services: ['auth', 'org', 'project', 'gateway'], env: { auth: AUTH_ENV } });
  api = createRestClient(platform.gatewayUrl);
});

afterAll(async () => {
  await platform?.stop();
  await identityOwner?.end();
});

describe('identity through the gateway', () => {
  it('signup → login → me → refresh → logout, and after logout both tokens fail', async () => {
    const alice = await signUp('alice');
    const tokens = await login(alice.email);
    expect(tokens.organizationId).toBe(alice.orgId);

    const who = await me(tokens.accessToken);
    expect(who.status).toBe(200);
    expect(who.headers.get('x-request-id')).toBeTruthy();
    expect(who.body).toMatchObject({
      user: { id: alice.userId, email: alice.email },
      organization: { id: alice.orgId, role: 'owner' },
      memberships: [{ organizationId: alice.orgId, organizationName: 'alice org', role: 'owner' }],
    });

    const refreshed = await api.call<Tokens>('POST', '/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(tokens.refreshToken);

    expect((await api.call('POST', '/v1/auth/logout', { token: refreshed.body.accessToken })).status).toBe(204);
    await eventually(async () => expect((await me(refreshed.body.accessToken)).status).toBe(401));
    expect((await me(tokens.accessToken)).status).toBe(401);
    const again = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } });
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
  });

  it('a refresh token used twice fails the second time and revokes the family, newest token included', async () => {
    const bob = await signUp('bob');
    const second = await api.call<Tokens>('POST', '/v1/auth/refresh', { body: { refreshToken: bob.tokens.refreshToken } });
    expect(second.status).toBe(200);
    const reuse = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: bob.tokens.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    expect((await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } })).status).toBe(401);
    await eventually(async () => expect((await me(second.body.accessToken)).status).toBe(401));
  });

  it('switch-org yields a token for the other org; X-Tenant-ID must match the token', async () => {
    const carol = await signUp('carol');
    const dave = await signUp('dave');
    await addMembership(carol.userId, dave.orgId, 'member');

    const switched = await api.call<Tokens>('POST', '/v1/auth/switch-org', { token: carol.tokens.accessToken, body: { organizationId: dave.orgId } });
    expect(switched.status).toBe(200);
    expect(decodeJwt(switched.body.accessToken)).toMatchObject({ sub: carol.userId, tid: dave.orgId, role: 'member' });

    expect((await me(carol.tokens.accessToken, { 'x-tenant-id': carol.orgId })).status).toBe(200);
    const mismatch = await me(carol.tokens.accessToken, { 'x-tenant-id': dave.orgId });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body).toMatchObject({ code: 'TENANT_MISMATCH' });
    expect((await me(switched.body.accessToken, { 'x-tenant-id': dave.orgId })).status).toBe(200);

    const stranger = await signUp('erin');
    const refused = await api.call('POST', '/v1/auth/switch-org', { token: carol.tokens.accessToken, body: { organizationId: stranger.orgId } });
    expect(refused.status).toBe(404);
  });

  it('refuses every forged token at the gateway', async () => {
    const { tokens } = await signUp('mallory-target');
    const kid = decodeProtectedHeader(tokens.accessToken).kid;
    const jwks = await api.call<{ keys: JWK[] }>('GET', '/.well-known/jwks.json');
    const publicJwk = jwks.body.keys.find((key) => key.kid === kid);
    const { rows } = await identityOwner.query<{ kid: string; created_at: Date; private_jwk_sealed: string; public_jwk: JWK }>(
      'SELECT kid, created_at, private_jwk_sealed, public_jwk FROM signing_keys WHERE kid = $1',
      [kid],
    );
    const row = rows[0];
    if (publicJwk === undefined || row === undefined) throw new Error('the signing key is not published');
    const encryptionKey = Buffer.from(toServiceEnvironment(devstack)['SIGNING_KEY_ENCRYPTION_KEY'] ?? '', 'base64');
    const stored: StoredSigningKey = {
      kid: row.kid,
      createdAt: row.created_at.toISOString(),
      privateJwk: JSON.parse(openSealedSecret(encryptionKey, row.private_jwk_sealed)) as JWK,
      publicJwk: row.public_jwk,
    };
    const forged = await forgeTokens({ genuine: tokens.accessToken, publicJwk, signingKey: await importSigningKey(stored) });
    for (const [forgery, token] of Object.entries(forged)) {
      const reply = await me(token);
      expect([forgery, reply.status, reply.headers.get('content-type')]).toEqual([forgery, 401, expect.stringContaining('application/problem+json')]);
    }
    expect((await me(tokens.accessToken)).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/me')).status).toBe(401);
  });

  it('an API key works in place of a token for its org only, and stops working when revoked', async () => {
    const ivan = await signUp('ivan');
    const judy = await signUp('judy');
    const created = await api.call<{ apiKey: { id: string }; secret: string }>('POST', '/v1/api-keys', {
      token: ivan.tokens.accessToken,
      body: { name: 'deploy bot', role: 'admin' },
    });
    expect(created.status).toBe(201);
    const { secret, apiKey } = created.body;

    const asKey = await me(secret);
    expect(asKey.status).toBe(200);
    expect(asKey.body).toMatchObject({ apiKey: { id: apiKey.id }, organization: { id: ivan.orgId, role: 'admin' } });
    expect((await me(secret, { 'x-tenant-id': judy.orgId })).status).toBe(403);
    // Keys are managed by people only: even an admin key may not list, mint or revoke keys (ADR 0013).
    const byKey = await api.call<{ code: string }>('GET', '/v1/api-keys', { token: secret });
    expect([byKey.status, byKey.body.code]).toEqual([403, 'API_KEY_NOT_ALLOWED']);
    const listed = await api.call<{ items: Array<{ id: string }> }>('GET', '/v1/api-keys', { token: ivan.tokens.accessToken });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item) => item.id)).toContain(apiKey.id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    // Tenant B with A's key id: 404, and A's key is untouched.
    expect((await api.call('DELETE', `/v1/api-keys/${apiKey.id}`, { token: judy.tokens.accessToken })).status).toBe(404);
    expect((await api.call<{ items: unknown[] }>('GET', '/v1/api-keys', { token: judy.tokens.accessToken })).body.items).toEqual([]);
    expect((await me(secret)).status).toBe(200);

    expect((await api.call('DELETE', `/v1/api-keys/${apiKey.id}`, { token: ivan.tokens.accessToken })).status).toBe(204);
    await eventually(async () => expect((await me(secret)).status).toBe(401));
  });

  it('rotates the signing key while requests flow, and no request fails', async () => {
    const rotation = await signUp('rotation');
    const oldKid = decodeProtectedHeader(rotation.tokens.accessToken).kid;
    const failures: string[] = [];
    let requests = 0;
    let running = true;
    const traffic = (async () => {
      while (running) {
        const fresh = await api.call<Tokens>('POST', '/v1/auth/login', { body: { email: rotation.email, password: PASSWORD } });
        const mine = fresh.status === 200 ? await me(fresh.body.accessToken) : fresh;
        const old = await me(rotation.tokens.accessToken);
        requests += 3;
        for (const reply of [fresh, mine, old]) if (reply.status !== 200) failures.push(`${reply.status} ${JSON.stringify(reply.body)}`);
      }
    })();

    const rotate = spawnSync(process.execPath, [path.join(workspaceRoot(), 'dist', 'services', 'auth', 'main.js'), 'rotate-signing-key'], {
      env: { ...process.env, ...platformServiceEnvironment(devstack, platform.endpoints, 'auth'), ...AUTH_ENV },
      encoding: 'utf8',
    });
    expect(rotate.stderr).toBe('');
    expect(rotate.status).toBe(0);
    const newKid = /new signing key (\S+):/.exec(rotate.stdout)?.[1];
    expect(newKid).toBeDefined();

    await eventually(async () => {
      const fresh = await login(rotation.email);
      expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKid);
    }, 20_000);
    running = false;
    await traffic;
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(9);
    const published = await api.call<{ keys: JWK[] }>('GET', '/.well-known/jwks.json');
    expect(published.body.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
  });
});

describe('bad input through the gateway', () => {
  const signUpBody = () => ({ email: uniqueEmail('bad'), password: PASSWORD, name: 'Bad Input', organizationName: 'bad org' });

  const cases: Array<[string, number, string | undefined, () => { body?: unknown; rawBody?: string }]> = [
    ['malformed JSON', 400, undefined, () => ({ rawBody: '{"email": "x@y.z", ' })],
    ['a missing field', 400, 'body.organizationName', () => ({ body: { ...signUpBody(), organizationName: undefined } })],
    ['an email that is not an email', 400, 'body.email', () => ({ body: { ...signUpBody(), email: 'not-an-email' } })],
    ['a password over 1 KiB', 400, 'body.password', () => ({ body: { ...signUpBody(), password: 'p'.repeat(1100) } })],
    ['a password under 12 characters', 400, 'body.password', () => ({ body: { ...signUpBody(), password: 'short' } })],
    ['a weak password', 400, 'password', () => ({ body: { ...signUpBody(), password: 'aaaaaaaaaaaaaaa' } })],
    ['a 1 MB body', 413, undefined, () => ({ body: { ...signUpBody(), name: 'n'.repeat(1024 * 1024) } })],
  ];

  it.each(cases)('%s → %i with a problem body, and no account is created', async (_what, status, field, make) => {
    const request = make();
    const email = (request.body as { email?: string } | undefined)?.email;
    const reply = await api.call<{ errors?: Array<{ field: string }>; detail: string }>('POST', '/v1/auth/signup', request);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    if (field !== undefined) expect(reply.body.errors?.map((e) => e.field)).toContain(field);
    if (email !== undefined) {
      const { rows } = await identityOwner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
      expect(rows).toHaveLength(0);
    }
  });

  it('a duplicate sign-up email → 409', async () => {
    const frank = await signUp('frank');
    const reply = await api.call('POST', '/v1/auth/signup', { body: { ...signUpBody(), email: frank.email } });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ code: 'EMAIL_TAKEN' });
  });

  it('repeated failed logins → 429 with Retry-After', async () => {
    const grace = await signUp('grace');
    for (let i = 0; i < 3; i += 1) {
      expect((await api.call('POST', '/v1/auth/login', { body: { email: grace.email, password: 'not the password' } })).status).toBe(401);
    }
    const throttled = await api.call('POST', '/v1/auth/login', { body: { email: grace.email, password: PASSWORD } });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
