import { AppError } from '@bulkhead/errors';
import { createLogger } from '@bulkhead/observability';
import { z } from 'zod';
import { MAX_JSON_DEPTH } from '@bulkhead/grpc-kit';
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
    app.get('/v1/things/:id', { schema: { params: z.object({ id: z.string() }), querystring: z.object({ q: z.string().optional() }) } }, async (request) => ({
      id: request.params.id,
    }));
    app.delete('/v1/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async (_request, reply) => reply.status(204).send());
    app.patch(
      '/v1/things/:id',
      { schema: { params: z.object({ id: z.string() }), body: z.object({ name: z.string().optional(), settings: z.record(z.string(), z.unknown()).optional() }) } },
      async (request) => {
        created.push(request.body);
        return { ok: true };
      },
    );
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

  /** A problem+json answer with `status`, `code` and the request's id. */
  const expectProblem = (response: Awaited<ReturnType<HttpApp['inject']>>, status: number, code: string, requestId = 'edge-1') => {
    expect({ status: response.statusCode, type: response.headers['content-type'] }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(response.headers['x-request-id']).toBe(requestId);
    const problem = response.json();
    expect(problem).toMatchObject({ status, code, requestId });
    return problem as { errors?: { field: string; message: string }[]; detail: string };
  };
  const edge = (options: { method: string; url: string; payload?: string; headers?: Record<string, string> }) =>
    app.inject({
      method: options.method as 'GET',
      url: options.url,
      ...(options.payload === undefined ? {} : { payload: options.payload }),
      headers: { 'x-request-id': 'edge-1', ...(options.payload === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    });

  describe('the edge rules', () => {
    it('answers 405 with Allow for a method a routed path does not serve, QUERY included', async () => {
      const query = await edge({ method: 'QUERY', url: '/v1/things/t-1' });
      expectProblem(query, 405, 'METHOD_NOT_ALLOWED');
      expect(query.headers['allow']).toBe('DELETE, GET, HEAD, PATCH');
      const put = await edge({ method: 'PUT', url: '/v1/examples', payload: '{}' });
      expectProblem(put, 405, 'METHOD_NOT_ALLOWED');
      expect(put.headers['allow']).toBe('POST');
      const openapi = await edge({ method: 'QUERY', url: '/openapi.json', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(openapi.headers['allow']).toBe('GET, HEAD');
    });

    it('answers 404 problem+json for a path no route serves, whatever the method', async () => {
      for (const method of ['GET', 'QUERY', 'PROPFIND']) expectProblem(await edge({ method, url: '/v1/nowhere' }), 404, 'ROUTE_NOT_FOUND');
    });

    it('refuses a NUL in a body string or a query parameter, naming the field, and runs no handler', async () => {
      const before = created.length;
      const body = expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"name":"a\\u0000b"}' }), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'body.name', message: 'contains a NUL character' }]);
      const query = expectProblem(await edge({ method: 'GET', url: '/v1/things/t-1?q=a%00b' }), 400, 'VALIDATION_FAILED');
      expect(query.errors).toEqual([{ field: 'querystring.q', message: 'contains a NUL character' }]);
      const param = expectProblem(await edge({ method: 'GET', url: '/v1/things/a%00b' }), 400, 'VALIDATION_FAILED');
      expect(param.errors).toEqual([{ field: 'params.id', message: 'contains a NUL character' }]);
      expect(created.length).toBe(before);
    });

    it('refuses a lone UTF-16 surrogate in a name or a settings key, naming the field', async () => {
      const lone = expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"name":"a\\ud800b"}' }), 400, 'VALIDATION_FAILED');
      expect(lone.errors).toEqual([{ field: 'body.name', message: 'is not valid Unicode: it holds a lone UTF-16 surrogate' }]);
      const key = expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"settings":{"\\udc00":1}}' }), 400, 'VALIDATION_FAILED');
      expect(key.errors).toEqual([{ field: 'body.settings', message: 'has a key that is not valid Unicode: it holds a lone UTF-16 surrogate' }]);
      const paired = await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"name":"a\\ud83d\\ude00b"}' });
      expect(paired.statusCode).toBe(200);
    });

    it(`refuses JSON nested more than ${MAX_JSON_DEPTH} levels deep before parsing it`, async () => {
      const deep = (depth: number) => `{"settings":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
      const problem = expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: deep(5_000) }), 400, 'JSON_TOO_DEEP');
      expect(problem.errors).toEqual([{ field: 'body', message: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }]);
      expect((await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: deep(MAX_JSON_DEPTH - 2) })).statusCode).toBe(200);
    });

    it('answers 414 problem+json for a path segment over the parameter limit, and 400 for a malformed URL', async () => {
      expectProblem(await edge({ method: 'GET', url: `/v1/things/${'a'.repeat(500)}` }), 414, 'PATH_TOO_LONG');
      expectProblem(await edge({ method: 'GET', url: '/v1/things/%E0%A4%A' }), 400, 'MALFORMED_URL');
    });

    it('answers 415 problem+json for a body that is not JSON, and 400 for an empty or malformed one', async () => {
      expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '', headers: { 'content-type': 'application/json' } }), 400, 'MALFORMED_JSON');
      expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"name":' }), 400, 'MALFORMED_JSON');
      expectProblem(await edge({ method: 'PATCH', url: '/v1/things/t-1', payload: '{"__proto__":{"x":1}}' }), 400, 'MALFORMED_JSON');
    });

    it('declares the error statuses of each operation in the OpenAPI document, as problem+json', async () => {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const patch = doc.paths['/v1/things/{id}'].patch;
      expect(Object.keys(patch.responses).sort()).toEqual(['400', '404', '413', '415', '503']);
      expect(patch.responses['415'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
      expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    });
  });
});
