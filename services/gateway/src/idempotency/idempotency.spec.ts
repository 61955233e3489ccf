import { AppError } from '@bulkhead/errors';
import { tenantKey } from '@bulkhead/tenant-cache';
import { eventually } from '@bulkhead/testkit';
import { createHash, randomUUID } from 'node:crypto';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { createMemoryIdempotencyStore, type MemoryIdempotencyStore } from '../testing/memory-idempotency-store';
import { TENANT_ID, TEST_USER, USER_ID } from '../testing/test-tokens';

const OTHER_USER_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a62';

describe('Idempotency-Key on authenticated POSTs', () => {
  let fixture: GatewayFixture;
  let store: MemoryIdempotencyStore;
  let authorization: string;

  beforeAll(async () => {
    store = createMemoryIdempotencyStore();
    fixture = await createGatewayFixture({ idempotencyStore: store });
    authorization = `Bearer ${await fixture.tokens.sign()}`;
  });

  afterAll(() => fixture.close());

  const createProject = (key: string | undefined, body: object = { name: 'Website' }, token = authorization) =>
    fixture.app.inject({
      method: 'POST',
      url: '/v1/projects',
      headers: { authorization: token, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: body,
    });
  const calls = () => fixture.projectService.callCount('createProject');

  it('replays the stored response with Idempotent-Replayed: true, and the backend sees one call', async () => {
    const key = randomUUID();
    const before = calls();
    const first = await createProject(key, { name: 'Website', description: 'Site' });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same body with its keys in another order is the same request.
    const again = await createProject(key, { description: 'Site', name: 'Website' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.body).toBe(first.body);
    expect(calls()).toBe(before + 1);
  });

  it('keys per tenant and caller: bh:{<tenantId>}:idem:<sha256(subject, key)>, so another caller with the same key runs anew', async () => {
    const key = randomUUID();
    await createProject(key);
    const stored = tenantKey(TENANT_ID, 'idem', createHash('sha256').update(`${USER_ID}\n${key}`).digest('hex'));
    expect(store.records.get(stored)).toMatchObject({ state: 'completed', response: { status: 201 } });

    const before = calls();
    const other = await createProject(key, { name: 'Website' }, `Bearer ${await fixture.tokens.sign({ ...TEST_USER, sub: OTHER_USER_ID })}`);
    expect(other.statusCode).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(calls()).toBe(before + 1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED naming the header for the same key with another body or path', async () => {
    const key = randomUUID();
    await createProject(key, { name: 'Website' });
    const before = calls();
    const otherBody = await createProject(key, { name: 'Shop' });
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', errors: [{ field: 'headers.idempotency-key' }] });
    const otherPath = await fixture.app.inject({ method: 'POST', url: '/v1/orgs', headers: { authorization, 'idempotency-key': key }, payload: { name: 'Website' } });
    expect(otherPath.statusCode).toBe(422);
    expect(calls()).toBe(before);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS to a duplicate sent while the first still runs', async () => {
    const key = randomUUID();
    const before = calls();
    const release = store.holdCompletions();
    const first = createProject(key);
    try {
      // The first request has claimed the key and reached the backend; its response is not kept yet.
      await eventually(async () => expect(calls()).toBe(before + 1), 2000);
      const duplicate = await createProject(key);
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    } finally {
      release();
    }
    expect((await first).statusCode).toBe(201);
    expect((await createProject(key)).headers['idempotent-replayed']).toBe('true');
    expect(calls()).toBe(before + 1);
  });

  it('does not keep a 5xx (a retry runs again) but keeps a 4xx', async () => {
    const key = randomUUID();
    const before = calls();
    fixture.projectService.failNext('createProject', new AppError({ kind: 'INTERNAL', code: 'INTERNAL', message: 'Internal error' }));
    expect((await createProject(key)).statusCode).toBe(500);
    const retried = await createProject(key);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(calls()).toBe(before + 2);

    const refusedKey = randomUUID();
    fixture.projectService.failNext('createProject', new AppError({ kind: 'QUOTA_EXCEEDED', code: 'PROJECT_LIMIT_REACHED', message: 'Limit', details: { limit: 'projects' } }));
    const refused = await createProject(refusedKey);
    expect(refused.statusCode).toBe(402);
    const replayed = await createProject(refusedKey);
    expect(replayed.statusCode).toBe(402);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.headers['content-type']).toContain('application/problem+json');
    expect(replayed.json()).toEqual(refused.json());
    expect(calls()).toBe(before + 3);
  });

  it('refuses a key that is empty, too long or not visible ASCII with 400 naming the header, before the backend', async () => {
    const before = calls();
    for (const key of ['', 'x'.repeat(256), 'has space', 'é']) {
      const response = await createProject(key);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ field: 'headers.idempotency-key' }] });
    }
    expect((await createProject('x'.repeat(255))).statusCode).toBe(201);
    expect(calls()).toBe(before + 1);
  });

  it('leaves requests without the header, and methods other than POST, alone', async () => {
    const before = calls();
    await createProject(undefined);
    await createProject(undefined);
    expect(calls()).toBe(before + 2);
    const key = randomUUID();
    const reads = [1, 2].map(() => fixture.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization, 'idempotency-key': key } }));
    for (const read of await Promise.all(reads)) expect(read.headers['idempotent-replayed']).toBeUndefined();
    expect([...store.records.values()].some((record) => record.state === 'in-flight')).toBe(false);
  });

  it('runs the request without idempotency when the store does not answer', async () => {
    const failing = createMemoryIdempotencyStore();
    failing.claim = async () => {
      throw new Error('connection refused');
    };
    const down = await createGatewayFixture({ idempotencyStore: failing });
    try {
      const headers = { authorization: `Bearer ${await down.tokens.sign()}`, 'idempotency-key': randomUUID() };
      for (let i = 0; i < 2; i += 1) {
        const response = await down.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: 'Website' } });
        expect(response.statusCode).toBe(201);
      }
      expect(down.projectService.callCount('createProject')).toBe(2);
    } finally {
      await down.close();
    }
  });

  it('documents the header on authenticated POST operations only', async () => {
    const document = (await fixture.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    const hasKey = (path: string, method: string): boolean =>
      (document.paths[path]?.[method]?.parameters ?? []).some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key');
    expect(hasKey('/v1/projects', 'post')).toBe(true);
    expect(hasKey('/v1/api-keys', 'post')).toBe(true);
    expect(hasKey('/v1/projects', 'get')).toBe(false);
    expect(hasKey('/v1/auth/login', 'post')).toBe(false);
  });
});
