import { randomBytes } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { CLIENT_IP_METADATA_KEY, type AuthServiceService, type TokenPair } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { eventually, forgeTokens, loadDevstackEnv, rejection, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { bearerMetadata, importSigningKey } from '@bulkhead/tokens';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Pool } from 'pg';
import type { AuthConfig } from './auth.config';
import { rotateSigningKey } from './signing-keys/key-ring';
import { createPgSigningKeyStore } from './signing-keys/pg-signing-key.store';
import { startAuthFixture, type AuthFixture } from './testing/auth.fixture';

const devstack = loadDevstackEnv();
const PASSWORD = 'correct horse battery staple';

let fixture: AuthFixture;
let config: AuthConfig;
let auth: GrpcClient<typeof AuthServiceService>;
let owner: Pool;

const uniqueEmail = (label: string): string => `${label}-${randomBytes(6).toString('hex')}@example.test`;

async function signUp(label = 'user'): Promise<{ email: string; userId: string; orgId: string; tokens: TokenPair }> {
  const email = uniqueEmail(label);
  const reply = await auth.signUp({ email, password: PASSWORD, name: `${label} person`, organizationName: `${label} org` });
  if (reply.user === undefined || reply.organization === undefined || reply.tokens === undefined) throw new Error('incomplete sign-up reply');
  return { email, userId: reply.user.id, orgId: reply.organization.id, tokens: reply.tokens };
}

const as = (token: string) => ({ metadata: bearerMetadata(token) });

/** Adds a membership directly: invitations have their own spec; here only sessions are under test. */
async function addMembership(userId: string, orgId: string, role: string): Promise<void> {
  await owner.query('INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [orgId, userId, role]);
}

beforeAll(async () => {
  fixture = await startAuthFixture(toServiceEnvironment(devstack), `${workspaceRoot()}/services`, {
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_ATTEMPTS_PER_IP: '20',
    SIGNING_KEY_RELOAD_INTERVAL_MS: '200',
    SIGNING_KEY_ACTIVATION_DELAY_SECONDS: '1',
  });
  ({ config, auth, owner } = fixture);
});

afterAll(async () => {
  await fixture.stop();
});

describe('sessions', () => {
  it('sign-up → login → me → refresh → logout, after which both tokens fail', async () => {
    const { email, userId, orgId } = await signUp('alice');
    const login = (await auth.login({ email: email.toUpperCase(), password: PASSWORD, organizationId: '' })).tokens as TokenPair;
    expect(login.organizationId).toBe(orgId);
    const claims = decodeJwt(login.accessToken);
    expect(claims).toMatchObject({ sub: userId, tid: orgId, role: 'owner', iss: config.TOKEN_ISSUER, aud: config.TOKEN_AUDIENCE });
    expect(decodeProtectedHeader(login.accessToken)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });

    const me = await auth.getMe({}, as(login.accessToken));
    expect(me).toMatchObject({ user: { id: userId, email }, organizationId: orgId, role: 'owner' });
    expect(me.memberships).toEqual([{ organizationId: orgId, organizationName: 'alice org', role: 'owner' }]);

    const refreshed = (await auth.refresh({ refreshToken: login.refreshToken })).tokens as TokenPair;
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expect(decodeJwt(refreshed.accessToken).sid).toBe(claims.sid);

    await auth.logout({}, as(refreshed.accessToken));
    expect((await rejection(auth.getMe({}, as(refreshed.accessToken)))).code).toBe('TOKEN_REVOKED');
    expect((await rejection(auth.getMe({}, as(login.accessToken)))).code).toBe('TOKEN_REVOKED');
    expect((await rejection(auth.refresh({ refreshToken: refreshed.refreshToken }))).code).toBe('SESSION_REVOKED');
  });

  it('a refresh token used twice revokes the whole family, newest token included', async () => {
    const { tokens } = await signUp('bob');
    const second = (await auth.refresh({ refreshToken: tokens.refreshToken })).tokens as TokenPair;
    const reuse = await rejection(auth.refresh({ refreshToken: tokens.refreshToken }));
    expect(reuse).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'REFRESH_TOKEN_REUSED' });
    expect((await rejection(auth.refresh({ refreshToken: second.refreshToken }))).code).toBe('SESSION_REVOKED');
    expect((await rejection(auth.getMe({}, as(second.accessToken)))).code).toBe('TOKEN_REVOKED');
  });

  it('switch-org issues a token for another org of the user, never for an org they are not in', async () => {
    const carol = await signUp('carol');
    const other = await signUp('dave');
    await addMembership(carol.userId, other.orgId, 'viewer');
    const switched = (await auth.switchOrg({ organizationId: other.orgId }, as(carol.tokens.accessToken))).tokens as TokenPair;
    expect(decodeJwt(switched.accessToken)).toMatchObject({ sub: carol.userId, tid: other.orgId, role: 'viewer' });
    expect(switched.organizationId).toBe(other.orgId);
    const me = await auth.getMe({}, as(switched.accessToken));
    expect(me.memberships.map((m) => m.organizationId).sort()).toEqual([carol.orgId, other.orgId].sort());
    expect(me).toMatchObject({ organizationId: other.orgId, role: 'viewer' });

    const stranger = await signUp('erin');
    const refused = await rejection(auth.switchOrg({ organizationId: stranger.orgId }, as(carol.tokens.accessToken)));
    expect(refused).toMatchObject({ kind: 'NOT_FOUND' });
    const login = (await auth.login({ email: carol.email, password: PASSWORD, organizationId: other.orgId })).tokens as TokenPair;
    expect(decodeJwt(login.accessToken).tid).toBe(other.orgId);
  });
});

describe('bad input leaves nothing behind', () => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ['an email that is not an email', 'email', { email: 'not-an-email' }],
    ['a short password', 'password', { password: 'short' }],
    ['a password over 1 KiB', 'password', { password: 'x'.repeat(1025) }],
    ['an empty name', 'name', { name: '   ' }],
    ['no organization name', 'organizationName', { organizationName: '' }],
  ];
  it.each(cases)('%s → INVALID_ARGUMENT naming %s', async (_what, field, override) => {
    const email = override['email'] ?? uniqueEmail('bad');
    const request = { email, password: PASSWORD, name: 'Bad Input', organizationName: 'Bad org', ...override };
    const error = await rejection(auth.signUp(request));
    expect(error.kind).toBe('INVALID_ARGUMENT');
    expect(error.fieldViolations.map((v) => v.field)).toContain(field);
    const { rows } = await owner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
    expect(rows).toHaveLength(0);
  });

  it('a taken email → ALREADY_EXISTS, and no second organization appears', async () => {
    const { email } = await signUp('frank');
    const orgsBefore = await owner.query("SELECT count(*)::int AS n FROM organizations WHERE name = 'frank again'");
    const error = await rejection(auth.signUp({ email: email.toUpperCase(), password: PASSWORD, name: 'Frank', organizationName: 'frank again' }));
    expect(error).toMatchObject({ kind: 'ALREADY_EXISTS', code: 'EMAIL_TAKEN' });
    expect((await owner.query("SELECT count(*)::int AS n FROM organizations WHERE name = 'frank again'")).rows).toEqual(orgsBefore.rows);
  });
});

describe('login defences', () => {
  it('a wrong password and an unknown email fail alike, in comparable time', async () => {
    const { email } = await signUp('grace');
    const time = async (request: { email: string; password: string }): Promise<[number, AppError]> => {
      const started = process.hrtime.bigint();
      const error = await rejection(auth.login({ ...request, organizationId: '' }));
      return [Number(process.hrtime.bigint() - started) / 1e6, error];
    };
    const [wrongMs, wrong] = await time({ email, password: 'definitely the wrong one' });
    const [unknownMs, unknown] = await time({ email: uniqueEmail('nobody'), password: 'definitely the wrong one' });
    expect(unknown).toMatchObject({ kind: wrong.kind, code: wrong.code, message: wrong.message });
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    // Both pay a full Argon2id verification (tens of ms); a skipped hash would be ~1 ms.
    expect(unknownMs).toBeGreaterThan(wrongMs / 3);
  });

  it('throttles an account after repeated failures with a retry-after, even for the right password', async () => {
    const { email } = await signUp('heidi');
    for (let i = 0; i < 3; i += 1) {
      expect((await rejection(auth.login({ email, password: 'wrong password!!', organizationId: '' }))).code).toBe('INVALID_CREDENTIALS');
    }
    const throttled = await rejection(auth.login({ email, password: PASSWORD, organizationId: '' }));
    expect(throttled).toMatchObject({ kind: 'RATE_LIMITED', code: 'LOGIN_THROTTLED' });
    expect(Number(throttled.details['retryAfterSeconds'])).toBeGreaterThan(0);
  });

  it('throttles a client IP making too many attempts', async () => {
    const metadata = new Metadata();
    metadata.set(CLIENT_IP_METADATA_KEY, `198.51.100.${Math.floor(Math.random() * 250)}-${randomBytes(3).toString('hex')}`);
    const codes: string[] = [];
    for (let i = 0; i < 21; i += 1) {
      codes.push((await rejection(auth.login({ email: uniqueEmail('spray'), password: 'wrong password!!', organizationId: '' }, { metadata }))).code);
    }
    expect(codes.slice(0, 20).every((code) => code === 'INVALID_CREDENTIALS')).toBe(true);
    expect(codes[20]).toBe('LOGIN_THROTTLED');
  });
});

describe('API keys', () => {
  it('work in place of a token for their org only, and stop working when revoked', async () => {
    const a = await signUp('ivan');
    const b = await signUp('judy');
    const created = await auth.createApiKey({ name: 'ci', role: 'viewer', scopes: ['projects:read'], projectId: '' }, as(a.tokens.accessToken));
    expect(created.secret).toMatch(/^bhk_/);
    expect(created.apiKey).toMatchObject({ name: 'ci', role: 'viewer', scopes: ['projects:read'], createdBy: a.userId });
    const listed = await auth.listApiKeys({}, as(a.tokens.accessToken));
    expect(listed.items.map((k) => k.id)).toEqual([created.apiKey?.id]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect((await auth.listApiKeys({}, as(b.tokens.accessToken))).items).toEqual([]);

    const exchanged = await auth.exchangeApiKey({ secret: created.secret });
    expect(exchanged.organizationId).toBe(a.orgId);
    expect(decodeJwt(exchanged.accessToken)).toMatchObject({ tid: a.orgId, role: 'viewer', pty: 'apiKey', scope: 'projects:read' });
    const me = await auth.getMe({}, as(exchanged.accessToken));
    expect(me).toMatchObject({ organizationId: a.orgId, apiKey: { id: created.apiKey?.id } });
    expect(me.apiKey?.lastUsedAt).toBeDefined();

    // Tenant B with A's key id: not found, and A's key keeps working.
    expect((await rejection(auth.revokeApiKey({ id: created.apiKey?.id ?? '' }, as(b.tokens.accessToken)))).kind).toBe('NOT_FOUND');
    await auth.getMe({}, as(exchanged.accessToken));

    await auth.revokeApiKey({ id: created.apiKey?.id ?? '' }, as(a.tokens.accessToken));
    expect((await rejection(auth.exchangeApiKey({ secret: created.secret }))).code).toBe('API_KEY_INVALID');
    await eventually(async () => expect((await rejection(auth.getMe({}, as(exchanged.accessToken)))).code).toBe('TOKEN_REVOKED'));
    const afterRevoke = await auth.listApiKeys({}, as(a.tokens.accessToken));
    expect(afterRevoke.items[0]?.revokedAt).toBeDefined();
  });

  it('only owners and admins manage keys; an expiry in the past and a bad role are refused', async () => {
    const a = await signUp('ken');
    const member = await signUp('leo');
    await addMembership(member.userId, a.orgId, 'member');
    const asMember = (await auth.switchOrg({ organizationId: a.orgId }, as(member.tokens.accessToken))).tokens as TokenPair;
    expect((await rejection(auth.createApiKey({ name: 'x', role: '', scopes: [], projectId: '' }, as(asMember.accessToken)))).kind).toBe('PERMISSION_DENIED');
    expect((await rejection(auth.listApiKeys({}, as(asMember.accessToken)))).kind).toBe('PERMISSION_DENIED');

    const past = await rejection(
      auth.createApiKey({ name: 'old', role: '', scopes: [], projectId: '', expiresAt: '2020-01-01T00:00:00Z' }, as(a.tokens.accessToken)),
    );
    expect(past.fieldViolations).toEqual([expect.objectContaining({ field: 'expiresAt' })]);
    const owner = await rejection(auth.createApiKey({ name: 'root', role: 'owner', scopes: [], projectId: '' }, as(a.tokens.accessToken)));
    expect(owner.fieldViolations).toEqual([expect.objectContaining({ field: 'role' })]);
  });
});

describe('token verification in the service itself', () => {
  it('refuses every forged token, and accepts the genuine one', async () => {
    const { tokens } = await signUp('mallory-target');
    const jwks = await auth.getJwks({});
    const kid = decodeProtectedHeader(tokens.accessToken).kid;
    const publicJwk = jwks.keys.find((key) => key.kid === kid);
    const stored = (await createPgSigningKeyStore(owner, config.SIGNING_KEY_ENCRYPTION_KEY).list()).find((key) => key.kid === kid);
    if (publicJwk === undefined || stored === undefined) throw new Error('the signing key is not published');
    const forged = await forgeTokens({ genuine: tokens.accessToken, publicJwk, signingKey: await importSigningKey(stored) });
    for (const [forgery, token] of Object.entries(forged)) {
      const error = await rejection(auth.getMe({}, as(token)));
      expect([forgery, error.kind]).toEqual([forgery, 'UNAUTHENTICATED']);
    }
    await expect(auth.getMe({}, as(tokens.accessToken))).resolves.toBeDefined();
    expect((await rejection(auth.getMe({}))).code).toBe('TOKEN_MISSING');
  });

  it('rotates keys while requests flow: no request fails, new tokens carry the new kid, old ones still verify', async () => {
    const { email, tokens } = await signUp('rotation');
    const oldKid = decodeProtectedHeader(tokens.accessToken).kid;
    let running = true;
    const failures: unknown[] = [];
    let calls = 0;
    const traffic = (async () => {
      while (running) {
        try {
          const login = (await auth.login({ email, password: PASSWORD, organizationId: '' })).tokens as TokenPair;
          await auth.getMe({}, as(login.accessToken));
          await auth.getMe({}, as(tokens.accessToken));
          calls += 3;
        } catch (err) {
          failures.push(err);
        }
      }
    })();
    const store = createPgSigningKeyStore(owner, config.SIGNING_KEY_ENCRYPTION_KEY);
    const newKey = await rotateSigningKey(store, { accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, activationDelaySeconds: 1 });
    await eventually(async () => expect((await auth.getJwks({})).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKey.kid])));
    await eventually(async () => {
      const fresh = (await auth.login({ email, password: PASSWORD, organizationId: '' })).tokens as TokenPair;
      expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKey.kid);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await traffic;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(6);
  });
});
