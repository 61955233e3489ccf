import { ApiError, EXIT, formatTable, requestPath, runCli } from './audit-cli';
import { parseCliArgs } from './audit-cli.args';

const TENANT = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a5c';
const env = { baseUrl: 'http://gw.test', credential: 'tok' };

const event = (id: string) => ({
  id,
  sequence: 1,
  occurredAt: '2026-11-01T10:00:00.000Z',
  actor: { type: 'user', id: 'u-1' },
  action: 'project.created',
  resource: { type: 'project', id: 'p-1' },
  outcome: 'success',
});

/** A fetch answering from `pages` by the request's cursor, recording each URL and header. */
function fakeFetch(answer: (url: URL) => Response) {
  const seen: { url: URL; authorization: string | null }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    seen.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    return answer(url);
  }) as typeof fetch;
  return { impl, seen };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('requestPath', () => {
  it('uses /v1/audit for the own org and /v1/platform/audit with --tenant', () => {
    expect(requestPath(parseCliArgs(['query', '--action', 'project.created', '--limit', '5']))).toBe('/v1/audit/events?action=project.created&limit=5');
    expect(requestPath(parseCliArgs(['query', '--tenant', TENANT]), 'c-2')).toBe(`/v1/platform/audit/events?tenantId=${TENANT}&cursor=c-2`);
    expect(requestPath(parseCliArgs(['export', '--format', 'csv', '--out', 'f', '--tenant', TENANT]))).toBe(`/v1/platform/audit/export?tenantId=${TENANT}&format=csv`);
    expect(requestPath(parseCliArgs(['verify', '--from-sequence', '3']))).toBe('/v1/audit/verify?fromSequence=3');
  });
});

describe('runCli', () => {
  it('query --all follows the cursors and prints one JSON document', async () => {
    const { impl, seen } = fakeFetch((url) =>
      url.searchParams.get('cursor') === 'c-2' ? json({ items: [event('e-2')], nextCursor: null }) : json({ items: [event('e-1')], nextCursor: 'c-2' }),
    );
    let out = '';
    const status = await runCli(parseCliArgs(['query', '--all', '--json']), env, { out: (text) => (out += text), fetch: impl });
    expect(status).toBe(EXIT.ok);
    expect(JSON.parse(out)).toEqual({ items: [event('e-1'), event('e-2')], nextCursor: null });
    expect(seen.map((s) => s.url.searchParams.get('cursor'))).toEqual([null, 'c-2']);
    expect(seen[0]?.authorization).toBe('Bearer tok');
  });

  it('query without --all prints a table and where to continue', async () => {
    const { impl, seen } = fakeFetch(() => json({ items: [event('e-1')], nextCursor: 'c-2' }));
    let out = '';
    await runCli(parseCliArgs(['query']), env, { out: (text) => (out += text), fetch: impl });
    expect(seen).toHaveLength(1);
    expect(out).toContain('user:u-1');
    expect(out).toContain('1 event(s); more with --cursor c-2');
  });

  it('verify exits 2 naming the broken event, 0 when ok', async () => {
    const broken = fakeFetch(() => json({ ok: false, checked: 4, firstBrokenEventId: 'e-3', reason: 'hash mismatch' }));
    let out = '';
    expect(await runCli(parseCliArgs(['verify']), env, { out: (text) => (out += text), fetch: broken.impl })).toBe(EXIT.broken);
    expect(out).toContain('first broken event e-3 (hash mismatch)');
    const ok = fakeFetch(() => json({ ok: true, checked: 4 }));
    expect(await runCli(parseCliArgs(['verify']), env, { out: () => undefined, fetch: ok.impl })).toBe(EXIT.ok);
  });

  it('turns a problem+json into an ApiError with the status, title and fields', async () => {
    const { impl } = fakeFetch(() => json({ title: 'Bad Request', status: 400, code: 'INVALID_ARGUMENT', errors: [{ field: 'querystring.tenantId', message: 'must be a UUID' }] }, 400));
    const err = await runCli(parseCliArgs(['query']), env, { out: () => undefined, fetch: impl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('400 Bad Request (INVALID_ARGUMENT)\n  querystring.tenantId: must be a UUID');
  });
});

describe('formatTable', () => {
  it('aligns the columns under a header', () => {
    const lines = formatTable([event('e-1'), { ...event('e-22'), resource: { type: 'org', id: null } }]).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]?.indexOf('ACTION')).toBe(lines[1]?.indexOf('project.created'));
    expect(lines[2]).toContain('  org  ');
  });
});
