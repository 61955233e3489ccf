import { invalidArgument, type FieldViolation } from '@bulkhead/errors';
import type { z } from 'zod';

/**
 * Deepest nesting of objects and arrays a request may carry, counted from the request itself
 * (a body's top-level object is depth 1). Deep enough for any settings, config or template a
 * person writes; shallow enough that no recursive walk (protobuf Struct, template rendering)
 * can exhaust the stack (ADR 0014).
 */
export const MAX_JSON_DEPTH = 32;

/** At most this many violations of {@link cleanInputViolations} are reported; the first ones name the problem. */
const MAX_REPORTED_VIOLATIONS = 10;

// In a `u` regex a paired surrogate is one code point, so this matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a string, or undefined when nothing is: NUL and lone UTF-16 surrogates are refused. */
function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode: it holds a lone UTF-16 surrogate';
  return undefined;
}

const joinField = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/**
 * The edge rules of ADR 0014 on any decoded input (a JSON body, a query, a gRPC request with its
 * Struct fields): every string and object key is valid Unicode without NUL, and objects and
 * arrays nest at most {@link MAX_JSON_DEPTH} deep. Each violation names its field under `field`
 * (`body.name`, `settings.a.b[2]`); the walk stops at the depth bound, so it is itself bounded.
 */
export function cleanInputViolations(value: unknown, field = ''): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const visit = (node: unknown, path: string, depth: number): void => {
    if (violations.length >= MAX_REPORTED_VIOLATIONS) return;
    if (typeof node === 'string') {
      const problem = stringProblem(node);
      if (problem !== undefined) violations.push({ field: path, description: problem });
      return;
    }
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array || node instanceof Date) return;
    if (depth >= MAX_JSON_DEPTH) {
      violations.push({ field: path, description: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, joinField(path, index), depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(node)) {
      const keyProblem = stringProblem(key);
      if (keyProblem !== undefined) violations.push({ field: path, description: `has a key that ${keyProblem}` });
      else visit(item, joinField(path, key), depth + 1);
    }
  };
  visit(value, field, 0);
  return violations;
}

/**
 * True when JSON text nests objects and arrays deeper than `maxDepth`. A linear scan of the text,
 * so it is safe to run before `JSON.parse` on input of any shape.
 */
export function jsonTextNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return false;
}

/** A JSON text field parsed, or the violations naming `field` that refuse it. */
export type ParsedJsonText = { ok: true; value: unknown } | { ok: false; violations: FieldViolation[] };

/**
 * Parses a JSON text field of a gRPC request (agent configs, invocation and run inputs, step
 * inputs): empty text is `{}`; text that is not JSON, nests deeper than {@link MAX_JSON_DEPTH}
 * (the field's own value is depth 1) or holds a string that breaks {@link cleanInputViolations}
 * is refused naming `field`. Callers choose the error kind those violations become.
 */
export function parseJsonText(text: string, field: string): ParsedJsonText {
  if (text.trim() === '') return { ok: true, value: {} };
  if (jsonTextNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return { ok: false, violations: [{ field, description: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, violations: [{ field, description: 'must be valid JSON' }] };
  }
  const violations = cleanInputViolations(value, field);
  return violations.length === 0 ? { ok: true, value } : { ok: false, violations };
}

/**
 * Validates a request message against a zod schema at the service's edge. The request must
 * first pass {@link cleanInputViolations} (strings without NUL or lone surrogates, Struct fields
 * nested at most {@link MAX_JSON_DEPTH} deep), the same rules the gateway applies, since gRPC
 * callers reach services without it. Every problem becomes a field violation named by its path
 * (`organizationName`, `scopes[1]`), all in one INVALID_ARGUMENT, so callers fix everything in
 * one round.
 */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.output<S> {
  const unclean = cleanInputViolations(request);
  if (unclean.length > 0) throw invalidArgument(unclean);
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  throw invalidArgument(
    parsed.error.issues.map((issue) => ({
      field: issue.path.reduce<string>((path, key) => joinField(path, typeof key === 'number' ? key : String(key)), ''),
      description: issue.message,
    })),
  );
}
