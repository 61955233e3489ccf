import { invalidArgument } from '@bulkhead/errors';

/** Page size when a request asks for none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Larger page sizes are capped to this (the gateway refuses them with 400 first). */
export const MAX_PAGE_SIZE = 200;

/** A list request's page, read: how many items, and the key to continue after. */
export interface PageWindow {
  limit: number;
  /** The sort key of the last item of the previous page; undefined on the first page. */
  after: string | undefined;
}

const CURSOR_VERSION = 'v1';

/** The opaque cursor continuing after `key`. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, key])).toString('base64url');
}

/**
 * Reads a `PageRequest`: page size 0 means {@link DEFAULT_PAGE_SIZE}, larger than
 * {@link MAX_PAGE_SIZE} is capped; a cursor this server did not make is INVALID_ARGUMENT
 * naming `page.cursor`.
 */
export function readPage(page: { pageSize: number; cursor: string } | undefined): PageWindow {
  const size = page?.pageSize ?? 0;
  if (size < 0) throw invalidArgument([{ field: 'page.pageSize', description: 'must not be negative' }]);
  const limit = size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
  const cursor = page?.cursor ?? '';
  if (cursor === '') return { limit, after: undefined };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== CURSOR_VERSION || typeof decoded[1] !== 'string') {
    throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
  }
  return { limit, after: decoded[1] };
}

/**
 * Cuts a page from rows fetched with `LIMIT limit + 1`: the first `limit` items, and the cursor
 * after the last of them when there was one more.
 */
export function pageOf<T>(rows: readonly T[], window: PageWindow, keyOf: (item: T) => string): { items: T[]; nextCursor: string } {
  const items = rows.slice(0, window.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > window.limit && last !== undefined ? encodeCursor(keyOf(last)) : '' };
}

/**
 * SQL for the sort key of lists ordered by `(created_at DESC, id DESC)`: the creation time to
 * the microsecond (UTC) and the id, as `<time>|<id>`. `column` may be qualified (`p.created_at`).
 */
export const createdSortKeySql = (column = 'created_at') => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const CREATED_SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The `(time, id)` of such a sort key; one this server did not make is INVALID_ARGUMENT naming `page.cursor`. */
export function parseCreatedSortKey(key: string): [string, string] {
  const match = CREATED_SORT_KEY.exec(key);
  if (match?.[1] === undefined || match[2] === undefined) throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
  return [match[1], match[2]];
}
