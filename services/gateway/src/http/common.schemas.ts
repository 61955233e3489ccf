import type { PageResponse } from '@bulkhead/contracts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@bulkhead/grpc-kit';
import { z } from 'zod';

/** Said of every strict body in the OpenAPI document. */
export const STRICT_BODY_NOTE = 'Unknown fields are refused with 400 naming each one.';

/** A display name (person, organization, API key): trimmed, 1 to 200 characters. */
export const displayName = z.string().trim().min(1).max(200);

/** A free-form JSON object (settings). */
export const jsonObject = z.record(z.string(), z.unknown());

/** `limit` and `cursor` of every list: a limit above the maximum is a 400, never clamped. */
export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, 1 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(1024).optional().describe('`nextCursor` of the previous page.'),
});

/** The gRPC `PageRequest` of a validated {@link pageQuery}. */
export const pageRequestOf = (query: z.infer<typeof pageQuery>) => ({ pageSize: query.limit, cursor: query.cursor ?? '' });

/** `nextCursor` of a list response: null on the last page. */
export const nextCursorOf = (page: PageResponse | undefined): string | null => {
  const next = page?.nextCursor ?? '';
  return next === '' ? null : next;
};

/** `{items, nextCursor}` of `item`. */
export const listResponse = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.') });

/** A path parameter that must be a UUID (a malformed one is a 400 naming `params.<name>`). */
export const uuidParam = (description: string) => z.uuid().describe(description);

/** The 204 of a DELETE. */
export const noContent = (description: string) => z.null().describe(description);
