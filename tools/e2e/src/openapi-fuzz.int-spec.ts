import { startPlatform, workspaceRoot, type RunningPlatform } from '@bulkhead/testkit';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRestClient, type RestClient } from './rest-client';
import { MANY_USERS_AUTH_ENV, signUp, type SignedUp } from './tenants';

// Schemathesis (pinned in fuzz/requirements.txt) fuzzes every operation of the live gateway's
// /openapi.json with the real services behind it. The run is bounded by examples per operation
// and by time (FUZZ_SECONDS); what fails the test is any 5xx, read from the fuzzer's own report.

const INSTALL_SCRIPT = path.join(workspaceRoot(), 'tools/e2e/fuzz/install-schemathesis.sh');
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** Examples per operation in one pass; passes repeat until {@link FUZZ_SECONDS} are spent. */
const EXAMPLES_PER_OPERATION = 4;
/** The fuzzer's whole budget: CI's suite must stay well under its limit. */
const FUZZ_SECONDS = 90;
/** Logout revokes the session the fuzzer's token belongs to, which would leave it nothing but 401s to see. */
const EXCLUDED_PATHS = ['/v1/auth/logout'];
/** Every method Node's HTTP parser accepts that a client plausibly sends, routed or not. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY', 'PROPFIND', 'SEARCH', 'PURGE', 'LINK'];

type OpenApiDocument = { paths: Record<string, Record<string, unknown>> };
/** One request the fuzzer sent and the status it got. */
type Exchange = { operation: string; method: string; uri: string; headers: Record<string, string[]>; body?: string; status: number };

function installSchemathesis(): string {
  const result = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  const executable = result.stdout?.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || executable === '') {
    throw new Error(`install-schemathesis.sh failed (status ${String(result.status)}); it needs python3 with venv and the Python package index.\n${result.stderr}`);
  }
  return executable;
}

/**
 * Runs a command to its end in `cwd` (schemathesis keeps a cache there) without blocking the
 * event loop (the services' output pipes must keep draining).
 */
function run(command: string, args: readonly string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Every request and response status in schemathesis' NDJSON report. */
function exchangesIn(reportDir: string): Exchange[] {
  const exchanges: Exchange[] = [];
  for (const file of readdirSync(reportDir).filter((name) => name.endsWith('.ndjson'))) {
    for (const line of readFileSync(path.join(reportDir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as {
        ScenarioFinished?: {
          recorder: {
            label: string;
            interactions?: Record<string, { request: { method: string; uri: string; headers: Record<string, string[]>; body?: { $base64: string } }; response?: { status_code: number } }>;
          };
        };
      };
      const recorder = event.ScenarioFinished?.recorder;
      for (const { request: sent, response } of Object.values(recorder?.interactions ?? {})) {
        if (recorder === undefined || response === undefined) continue;
        exchanges.push({
          operation: recorder.label,
          method: sent.method,
          uri: sent.uri,
          headers: sent.headers,
          ...(sent.body === undefined ? {} : { body: Buffer.from(sent.body.$base64, 'base64').toString('utf8') }),
          status: response.status_code,
        });
      }
    }
  }
  return exchanges;
}

/** A request with any method (fetch refuses TRACE), answering the status, content type and body. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The fuzzer's 5xx that happen again when the same request is sent once more. Under heavy load
 * a shard's pool may time out connecting (503 SHARD_UNAVAILABLE, as designed for a shard that
 * does not answer); a fault of the request itself answers the same the second time.
 */
async function repeatedServerErrors(exchanges: readonly Exchange[], token: string): Promise<string[]> {
  const repeated: string[] = [];
  for (const exchange of exchanges.filter((e) => e.status >= 500)) {
    const headers = Object.fromEntries(Object.entries(exchange.headers).map(([name, values]) => [name, values.join(', ')]));
    const again = await send(exchange.uri, exchange.method, { ...headers, Authorization: `Bearer ${token}` }, exchange.body);
    if (again.status >= 500) repeated.push(`${exchange.method} ${exchange.uri} ${exchange.body ?? ''}: ${exchange.status}, then ${again.status} ${again.text}`);
  }
  return repeated;
}

let platform: RunningPlatform;
let api: RestClient;
let schemathesis: string;
let document: OpenApiDocument;

beforeAll(async () => {
  schemathesis = installSchemathesis();
  platform = await startPlatform({
    services: ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'],
    env: { auth: MANY_USERS_AUTH_ENV, gateway: { RATE_LIMIT_RPM_BASIC: '1000000' } },
    // Seven services start on a shared two-core machine.
    readyTimeoutMs: 90_000,
  });
  api = createRestClient(platform.gatewayUrl);
  document = (await api.call<OpenApiDocument>('GET', '/openapi.json')).body;
}, INSTALL_TIMEOUT_MS + 300_000);

afterAll(async () => {
  await platform?.stop();
});

describe('the gateway under an OpenAPI fuzzer', () => {
  it('answers no 5xx to any request schemathesis makes from /openapi.json, as an authenticated owner', async () => {
    // A fresh token: access tokens live ten minutes, and the fuzzer must not spend its run on 401s.
    const owner: SignedUp = await signUp(api, 'fuzz');
    const reportDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-fuzz-'));
    try {
      const { output } = await run(schemathesis, [
        'run',
        `${platform.gatewayUrl}/openapi.json`,
        '--checks',
        'not_a_server_error',
        // Fuzzing cycles through every operation until the budget is spent; the coverage phase
        // (boundary values, one pass) does not finish in it on two shared cores.
        '--phases',
        'fuzzing',
        '--max-examples',
        String(EXAMPLES_PER_OPERATION),
        '--max-time',
        String(FUZZ_SECONDS),
        '--workers',
        '2',
        '--no-shrink',
        '--seed',
        String(Date.now() % 1_000_000),
        '--header',
        `Authorization: Bearer ${owner.tokens.accessToken}`,
        // The tenant header is declared (and a random one is a 403 before anything else is checked).
        '--header',
        `X-Tenant-ID: ${owner.orgId}`,
        // Strings with NUL or lone surrogates are refused at the edge (ADR 0014): valid data has none.
        '--generation-allow-x00',
        'false',
        '--generation-codec',
        'utf-8',
        '--generation-database',
        'none',
        ...EXCLUDED_PATHS.flatMap((excluded) => ['--exclude-path', excluded]),
        '--report',
        'ndjson',
        '--report-dir',
        reportDir,
      ], reportDir);
      const exchanges = exchangesIn(reportDir);
      const serverErrors = await repeatedServerErrors(exchanges, owner.tokens.accessToken);
      expect({ serverErrors, output: serverErrors.length === 0 ? '' : output }).toEqual({ serverErrors: [], output: '' });

      const operations = Object.entries(document.paths)
        .filter(([route]) => !EXCLUDED_PATHS.includes(route))
        .flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`));
      const reached = new Set(exchanges.map((exchange) => exchange.operation));
      expect({ unreached: operations.filter((operation) => !reached.has(operation)), output: reached.size === 0 ? output : '' }).toEqual({ unreached: [], output: '' });
      // Past the edge too: the services answered some of it (not only 400s and 404s).
      expect(exchanges.filter((exchange) => exchange.status < 300).length).toBeGreaterThan(20);
    } finally {
      rmSync(reportDir, { recursive: true, force: true });
    }
  }, 600_000);

  it('answers every method on every path of the document with a status below 500, errors as problem+json', async () => {
    const owner = await signUp(api, 'methods');
    const failures: string[] = [];
    for (const route of Object.keys(document.paths)) {
      const concrete = route.replace('{orgId}', owner.orgId).replace(/\{[^}]+\}/g, () => randomUUID());
      for (const method of METHODS) {
        if (route === '/v1/auth/logout' || (method === 'DELETE' && route === '/v1/orgs/{orgId}')) continue;
        const { status, type } = await send(`${platform.gatewayUrl}${concrete}`, method, { authorization: `Bearer ${owner.tokens.accessToken}` });
        const problemJson = method === 'HEAD' || type.startsWith('application/problem+json');
        if (status >= 500 || (status >= 400 && !problemJson)) failures.push(`${method} ${concrete}: ${status} ${type}`);
      }
    }
    expect(failures).toEqual([]);
  }, 180_000);
});
