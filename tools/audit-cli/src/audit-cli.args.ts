import { parseArgs } from 'node:util';

/** The filters of query and export, named as the REST query parameters. */
export interface EventFilters {
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

/** `--tenant <id>`: read that organization's log through /v1/platform (compliance role). */
interface Target {
  tenantId?: string;
}

export type CliCommand =
  | ({ kind: 'query'; filters: EventFilters; json: boolean; all: boolean; limit?: number; cursor?: string } & Target)
  | ({ kind: 'export'; filters: EventFilters; format: 'ndjson' | 'csv'; out: string } & Target)
  | ({ kind: 'verify'; from?: string; to?: string; fromSequence?: number; toSequence?: number } & Target);

export const USAGE = `usage: npm run audit -- <command> [options]
  query   [filters] [--limit N] [--cursor C] [--all] [--json]   list events, newest first
  export  [filters] --format ndjson|csv --out FILE                stream the events to FILE
  verify  [--from T] [--to T] [--from-sequence N] [--to-sequence N]
                                                                  verify the hash chain (exit 2 when broken)
filters: --actor ID --action NAME --resource-type TYPE --resource-id ID --outcome success|denied|failed
         --from RFC3339 --to RFC3339
every command: --tenant ORG_ID   another organization's log (platform compliance role; the read is audited there)
environment: BULKHEAD_URL (the gateway), and BULKHEAD_TOKEN (an access token) or BULKHEAD_API_KEY (bhk_…)`;

/** A command line that cannot be run; the message says why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  tenant: { type: 'string' },
  actor: { type: 'string' },
  action: { type: 'string' },
  'resource-type': { type: 'string' },
  'resource-id': { type: 'string' },
  outcome: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  'from-sequence': { type: 'string' },
  'to-sequence': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

const ALLOWED: Record<CliCommand['kind'], readonly OptionName[]> = {
  query: ['tenant', 'actor', 'action', 'resource-type', 'resource-id', 'outcome', 'from', 'to', 'limit', 'cursor', 'all', 'json'],
  export: ['tenant', 'actor', 'action', 'resource-type', 'resource-id', 'outcome', 'from', 'to', 'format', 'out'],
  verify: ['tenant', 'from', 'to', 'from-sequence', 'to-sequence'],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OUTCOMES = ['success', 'denied', 'failed'];

function instant(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--${name} must be an RFC 3339 time such as 2026-11-01T00:00:00Z, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positive(name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
  return number;
}

/** Only the keys whose value is set: `{a: undefined}` is not sent. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parses `argv` (after the script name) into a command, or throws {@link UsageError}. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const [kind, ...extra] = parsed.positionals;
  if (kind !== 'query' && kind !== 'export' && kind !== 'verify') throw new UsageError(`unknown command ${JSON.stringify(kind ?? '')}: use query, export or verify`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const values = parsed.values as Partial<Record<OptionName, string | boolean>>;
  const misplaced = (Object.keys(values) as OptionName[]).filter((name) => !ALLOWED[kind].includes(name));
  if (misplaced.length > 0) throw new UsageError(`${kind} does not take ${misplaced.map((name) => `--${name}`).join(', ')}`);
  const text = (name: OptionName): string | undefined => {
    const value = values[name];
    if (typeof value !== 'string') return undefined;
    if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
    return value;
  };

  const tenant = text('tenant');
  if (tenant !== undefined && !UUID.test(tenant)) throw new UsageError(`--tenant must be an organization id (a UUID), got ${JSON.stringify(tenant)}`);
  const target = defined({ tenantId: tenant });
  const from = instant('from', text('from'));
  const to = instant('to', text('to'));
  if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) throw new UsageError('--from must not be after --to');

  if (kind === 'verify') {
    const fromSequence = positive('from-sequence', text('from-sequence'));
    const toSequence = positive('to-sequence', text('to-sequence'));
    if (fromSequence !== undefined && toSequence !== undefined && fromSequence > toSequence) throw new UsageError('--from-sequence must not be after --to-sequence');
    return { kind, ...target, ...defined({ from, to, fromSequence, toSequence }) };
  }
  const outcome = text('outcome');
  if (outcome !== undefined && !OUTCOMES.includes(outcome)) throw new UsageError(`--outcome must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(outcome)}`);
  const filters = defined<EventFilters>({
    actorId: text('actor'),
    action: text('action'),
    resourceType: text('resource-type'),
    resourceId: text('resource-id'),
    outcome,
    from,
    to,
  });
  if (kind === 'export') {
    const format = text('format');
    if (format !== 'ndjson' && format !== 'csv') throw new UsageError(`export needs --format ndjson or csv, got ${JSON.stringify(format ?? '')}`);
    const out = text('out');
    if (out === undefined) throw new UsageError('export needs --out FILE');
    return { kind, ...target, filters, format, out };
  }
  const all = values.all === true;
  const cursor = text('cursor');
  if (all && cursor !== undefined) throw new UsageError('--all starts from the first page; it does not take --cursor');
  return { kind, ...target, filters, json: values.json === true, all, ...defined({ limit: positive('limit', text('limit'), 200), cursor }) };
}

/** Where the CLI talks to, and with what credential. */
export interface CliEnvironment {
  baseUrl: string;
  /** An access token, or an API key (`bhk_…`) the gateway exchanges itself. */
  credential: string;
}

/** Reads BULKHEAD_URL and BULKHEAD_TOKEN / BULKHEAD_API_KEY, or throws {@link UsageError} naming what is wrong. */
export function cliEnvironmentOf(env: Readonly<Record<string, string | undefined>>): CliEnvironment {
  const problems: string[] = [];
  const rawUrl = env['BULKHEAD_URL']?.trim() ?? '';
  let baseUrl = '';
  if (rawUrl === '') problems.push('BULKHEAD_URL is not set: the gateway address, e.g. https://api.example.com');
  else {
    try {
      const url = new URL(rawUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      baseUrl = url.toString().replace(/\/+$/, '');
    } catch {
      problems.push(`BULKHEAD_URL must be an http(s) URL, got ${JSON.stringify(rawUrl)}`);
    }
  }
  const token = env['BULKHEAD_TOKEN']?.trim() ?? '';
  const apiKey = env['BULKHEAD_API_KEY']?.trim() ?? '';
  if (token !== '' && apiKey !== '') problems.push('set BULKHEAD_TOKEN or BULKHEAD_API_KEY, not both');
  else if (token === '' && apiKey === '') problems.push('BULKHEAD_TOKEN (an access token) or BULKHEAD_API_KEY (bhk_…) is not set');
  else if (apiKey !== '' && !apiKey.startsWith('bhk_')) problems.push('BULKHEAD_API_KEY must be an API key secret (bhk_…)');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { baseUrl, credential: token !== '' ? token : apiKey };
}
