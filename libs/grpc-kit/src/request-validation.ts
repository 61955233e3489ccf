import { invalidArgument } from '@bulkhead/errors';
import type { z } from 'zod';

/**
 * Validates a request message against a zod schema at the service's edge. Every problem
 * becomes a field violation named by its path (`organizationName`, `scopes[1]`), all in one
 * INVALID_ARGUMENT, so callers fix everything in one round.
 */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.output<S> {
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  throw invalidArgument(
    parsed.error.issues.map((issue) => ({
      field: issue.path.reduce<string>(
        (path, key) => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? String(key) : `${path}.${String(key)}`),
        '',
      ),
      description: issue.message,
    })),
  );
}
