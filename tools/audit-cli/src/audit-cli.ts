import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { CliCommand, CliEnvironment, EventFilters } from './audit-cli.args';

/** Exit statuses: 0 done (chain ok), 1 refused or failed, 2 the chain is broken, 64 bad usage. */
export const EXIT = { ok: 0, failed: 1, broken: 2, usage: 64 } as const;

/** A listed event, as the REST API answers it (the fields this CLI prints). */
interface ListedEvent {
  id: string;
  sequence: number;
  occurredAt: string | null;
  actor: { type: string; id: string };
  action: string;
  resource: { type: string; id: string | null };
  outcome: string;
}

interface EventPage {
  items: ListedEvent[];
  nextCursor: string | null;
}

/** A refusal of the API (problem+json), printed as its status, title and field errors. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CliIo {
  out(text: string): void;
  fetch?: typeof fetch;
}

async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; code?: string; errors?: { field: string; message: string }[] };
    const fields = (problem.errors ?? []).map((e) => `  ${e.field}: ${e.message}`);
    const head = [problem.title, problem.detail].filter((part) => part !== undefined && part !== '').join(': ');
    return new ApiError(response.status, [`${response.status} ${head}${problem.code === undefined ? '' : ` (${problem.code})`}`, ...fields].join('\n'));
  } catch {
    return new ApiError(response.status, `${response.status} ${text.slice(0, 500)}`);
  }
}

/** The REST path and query of a command: /v1/audit/… for one's own org, /v1/platform/audit/… with a tenant. */
export function requestPath(command: CliCommand, cursor?: string): string {
  const base = command.tenantId === undefined ? '/v1/audit' : '/v1/platform/audit';
  const query = new URLSearchParams();
  if (command.tenantId !== undefined) query.set('tenantId', command.tenantId);
  const addAll = (values: object) => {
    for (const [key, value] of Object.entries(values)) if (value !== undefined) query.set(key, String(value));
  };
  if (command.kind === 'query') {
    addAll(command.filters);
    addAll({ limit: command.limit, cursor: cursor ?? command.cursor });
    return `${base}/events?${query.toString()}`;
  }
  if (command.kind === 'export') {
    addAll(command.filters satisfies EventFilters);
    query.set('format', command.format);
    return `${base}/export?${query.toString()}`;
  }
  addAll({ from: command.from, to: command.to, fromSequence: command.fromSequence, toSequence: command.toSequence });
  return `${base}/verify?${query.toString()}`;
}

/** The table `query` prints: one line per event, columns aligned. */
export function formatTable(items: readonly ListedEvent[]): string {
  const rows = [
    ['OCCURRED AT', 'SEQ', 'ACTOR', 'ACTION', 'RESOURCE', 'OUTCOME', 'ID'],
    ...items.map((e) => [
      e.occurredAt ?? '',
      String(e.sequence),
      `${e.actor.type}:${e.actor.id}`,
      e.action,
      e.resource.id === null ? e.resource.type : `${e.resource.type}:${e.resource.id}`,
      e.outcome,
      e.id,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Runs `command` against the gateway; answers the exit status. API refusals throw {@link ApiError}. */
export async function runCli(command: CliCommand, env: CliEnvironment, io: CliIo): Promise<number> {
  const doFetch = io.fetch ?? fetch;
  const get = async (path: string): Promise<Response> => {
    const response = await doFetch(`${env.baseUrl}${path}`, { headers: { authorization: `Bearer ${env.credential}`, 'user-agent': 'bulkhead-audit-cli/1' } });
    if (!response.ok) throw await problemOf(response);
    return response;
  };

  if (command.kind === 'query') {
    const items: ListedEvent[] = [];
    let cursor: string | undefined;
    let page: EventPage;
    do {
      page = (await (await get(requestPath(command, cursor))).json()) as EventPage;
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (command.all && cursor !== undefined);
    const nextCursor = command.all ? null : page.nextCursor;
    if (command.json) io.out(`${JSON.stringify({ items, nextCursor }, null, 2)}\n`);
    else {
      io.out(formatTable(items));
      io.out(`${items.length} event(s)${nextCursor === null ? '' : `; more with --cursor ${nextCursor}`}\n`);
    }
    return EXIT.ok;
  }

  if (command.kind === 'export') {
    const response = await get(requestPath(command));
    // Streamed to a side file, renamed when complete: FILE is never a cut-short export.
    const partial = `${command.out}.partial`;
    try {
      if (response.body === null) throw new Error('the export answered no body');
      const counter = { bytes: 0 };
      const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
      body.on('data', (chunk: Buffer) => {
        counter.bytes += chunk.length;
      });
      await pipeline(body, createWriteStream(partial));
      await rename(partial, command.out);
      io.out(`exported ${counter.bytes} bytes (${command.format}) to ${command.out}\n`);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return EXIT.ok;
  }

  const result = (await (await get(requestPath(command))).json()) as { ok: boolean; checked: number; firstBrokenEventId?: string; reason?: string };
  if (result.ok) {
    io.out(`chain ok: ${result.checked} event(s) checked\n`);
    return EXIT.ok;
  }
  io.out(`chain BROKEN after ${result.checked} event(s) checked: first broken event ${result.firstBrokenEventId ?? '(unknown id)'}${result.reason === undefined ? '' : ` (${result.reason})`}\n`);
  return EXIT.broken;
}
