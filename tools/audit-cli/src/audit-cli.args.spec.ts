import { cliEnvironmentOf, parseCliArgs, UsageError } from './audit-cli.args';

const TENANT = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a5c';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('parseCliArgs', () => {
  it('reads query with every filter, paging and output options', () => {
    expect(
      parseCliArgs([
        'query',
        '--actor', 'u-1',
        '--action', 'project.created',
        '--resource-type', 'project',
        '--resource-id', 'p-1',
        '--outcome', 'denied',
        '--from', '2026-11-01T00:00:00Z',
        '--to', '2026-11-02T00:00:00+02:00',
        '--limit', '20',
        '--json',
      ]),
    ).toEqual({
      kind: 'query',
      filters: { actorId: 'u-1', action: 'project.created', resourceType: 'project', resourceId: 'p-1', outcome: 'denied', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00+02:00' },
      json: true,
      all: false,
      limit: 20,
    });
    expect(parseCliArgs(['query', '--all', '--tenant', TENANT])).toEqual({ kind: 'query', tenantId: TENANT, filters: {}, json: false, all: true });
    expect(parseCliArgs(['query', '--cursor', 'c-2'])).toMatchObject({ cursor: 'c-2', all: false });
  });

  it('reads export and verify', () => {
    expect(parseCliArgs(['export', '--format', 'csv', '--out', 'a.csv', '--outcome', 'failed'])).toEqual({
      kind: 'export',
      filters: { outcome: 'failed' },
      format: 'csv',
      out: 'a.csv',
    });
    expect(parseCliArgs(['verify', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z', '--tenant', TENANT])).toEqual({
      kind: 'verify',
      tenantId: TENANT,
      from: '2026-11-01T00:00:00Z',
      to: '2026-11-02T00:00:00Z',
    });
    expect(parseCliArgs(['verify', '--from-sequence', '2', '--to-sequence', '9'])).toEqual({ kind: 'verify', fromSequence: 2, toSequence: 9 });
  });

  it.each([
    [[], /unknown command ""/],
    [['list'], /unknown command "list"/],
    [['query', 'extra'], /unexpected arguments: extra/],
    [['query', '--bogus'], /bogus/],
    [['query', '--format', 'csv'], /query does not take --format/],
    [['verify', '--action', 'x'], /verify does not take --action/],
    [['export', '--out', 'f'], /--format ndjson or csv/],
    [['export', '--format', 'xml', '--out', 'f'], /--format ndjson or csv, got "xml"/],
    [['export', '--format', 'csv'], /--out FILE/],
    [['query', '--tenant', 'acme'], /--tenant must be an organization id/],
    [['query', '--outcome', 'maybe'], /--outcome must be one of success, denied, failed/],
    [['query', '--from', 'yesterday'], /--from must be an RFC 3339 time/],
    [['query', '--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], /--from must not be after --to/],
    [['query', '--limit', '0'], /--limit must be a whole number from 1 to 200/],
    [['query', '--limit', '201'], /--limit/],
    [['query', '--all', '--cursor', 'c'], /--all starts from the first page/],
    [['query', '--action', ' '], /--action must not be empty/],
    [['verify', '--from-sequence', '5', '--to-sequence', '2'], /--from-sequence must not be after --to-sequence/],
    [['verify', '--to-sequence', '-1'], /to-sequence/],
  ])('refuses %j', (argv, message) => {
    expect(refusal(() => parseCliArgs(argv))).toMatch(message);
  });
});

describe('cliEnvironmentOf', () => {
  it('takes the gateway URL and an access token or an API key', () => {
    expect(cliEnvironmentOf({ BULKHEAD_URL: 'https://api.example.com/', BULKHEAD_TOKEN: 'eyJ.a.b' })).toEqual({ baseUrl: 'https://api.example.com', credential: 'eyJ.a.b' });
    expect(cliEnvironmentOf({ BULKHEAD_URL: 'http://127.0.0.1:8080', BULKHEAD_API_KEY: 'bhk_secret' })).toEqual({ baseUrl: 'http://127.0.0.1:8080', credential: 'bhk_secret' });
  });

  it('names every problem at once', () => {
    const message = refusal(() => cliEnvironmentOf({}));
    expect(message).toMatch(/BULKHEAD_URL is not set/);
    expect(message).toMatch(/BULKHEAD_TOKEN .* or BULKHEAD_API_KEY .* is not set/);
    expect(refusal(() => cliEnvironmentOf({ BULKHEAD_URL: 'ftp://x', BULKHEAD_TOKEN: 't' }))).toMatch(/BULKHEAD_URL must be an http\(s\) URL/);
    expect(refusal(() => cliEnvironmentOf({ BULKHEAD_URL: 'http://x', BULKHEAD_TOKEN: 't', BULKHEAD_API_KEY: 'bhk_k' }))).toMatch(/not both/);
    expect(refusal(() => cliEnvironmentOf({ BULKHEAD_URL: 'http://x', BULKHEAD_API_KEY: 'secret' }))).toMatch(/bhk_/);
  });
});
