import { AppError } from '@bulkhead/errors';
import { createLogger } from '@bulkhead/observability';
import { z } from 'zod';
import { BODY_LIMIT_BYTES, createHttpApp, type HttpApp } from './http-app';

const logger = createLogger({ service: 'gateway-spec', level: 'silent' });

describe('the gateway HTTP app', () => {
  let app: HttpApp;
  const created: unknown[] = [];

  beforeAll(async () => {
    app = await createHttpApp(logger);
    app.post(
      '/v1/examples',
      { schema: { summary: 'an example route', body: z.object({ email: z.email(), name: z.string().min(1) }), response: { 201: z.object({ id: z.string() }) } } },
      async (request, reply) => {
        created.push(request.body);
        return reply.status(201).send({ id: 'ex-1' });
      },
    );
    app.post('/v1/strict', { schema: { body: z.strictObject({ name: z.string() }) } }, async () => ({ ok: true }));
    app.get('/v1/throttled', async () => {
      throw new AppError({ kind: 'RATE_LIMITED', code: 'SLOW_DOWN', message: 'Slow down.', details: { retryAfterSeconds: '7' } });
    });
    app.get('/v1/refused', async () => {
      throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_EXPIRED', message: 'The access token has expired.' });
    });
    await app.ready();
  });

  afterAll(() => app.close());

  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/v1/examples', payload, headers });

  it('accepts a valid body', async () => {
    const response = await post(JSON.stringify({ email: 'ada@example.com', name: 'Ada' }));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ id: 'ex-1' });
  });

  it('answers 400 naming every invalid field, and runs no handler', async () => {
    const before = created.length;
    const response = await post(JSON.stringify({ email: 'not-an-email' }), { 'content-type': 'application/json', 'x-request-id': 'r-7' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', requestId: 'r-7' });
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.email', 'body.name']);
    expect(created.length).toBe(before);
  });

  it('names each unknown field of a strict body', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/strict', payload: { name: 'a', extra: 1, more: 2 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { field: 'body.extra', message: 'is not a known field' },
      { field: 'body.more', message: 'is not a known field' },
    ]);
  });

  it('adds Retry-After to a rate-limited answer and WWW-Authenticate to a 401', async () => {
    const throttled = await app.inject({ method: 'GET', url: '/v1/throttled' });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    const refused = await app.inject({ method: 'GET', url: '/v1/refused' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="bulkhead", error="invalid_token"');
  });

  it('answers 400 for malformed JSON and 413 for an oversized body', async () => {
    const malformed = await post('{"email": ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON', detail: 'Request body is not valid JSON' });
    const huge = await post(JSON.stringify({ email: 'ada@example.com', name: 'x'.repeat(BODY_LIMIT_BYTES) }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'BODY_TOO_LARGE', status: 413 });
  });

  it('publishes an OpenAPI 3.1 document built from the same schemas, and browsable docs', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const operation = doc.paths['/v1/examples'].post;
    expect(operation.summary).toBe('an example route');
    expect(operation.requestBody.content['application/json'].schema.required).toEqual(['email', 'name']);
    expect(doc.paths['/openapi.json']).toBeUndefined();
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });
});
