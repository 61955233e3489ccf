import { AppError } from '@bulkhead/errors';
import { z } from 'zod';
import { cleanInputViolations, jsonTextNestsDeeperThan, MAX_JSON_DEPTH, parseJsonText, parseRequest } from './request-validation';

/** `depth` arrays nested in one another, as a value and as JSON text. */
const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const nestedText = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('cleanInputViolations', () => {
  it('accepts ordinary text, paired surrogates (emoji) and nesting up to the bound', () => {
    expect(cleanInputViolations({ name: 'Zoë 😀 ∑', tags: ['a', 'b'], n: 1, ok: true, none: null })).toEqual([]);
    expect(cleanInputViolations({ deep: nested(MAX_JSON_DEPTH - 1) })).toEqual([]);
  });

  it('names each string holding a NUL or a lone surrogate, and keys too', () => {
    expect(cleanInputViolations({ name: 'a\u0000b', steps: [{ input: { x: 'a\ud800b' } }], s: { 'k\u0000': 1 } }, 'body')).toEqual([
      { field: 'body.name', description: 'contains a NUL character' },
      { field: 'body.steps[0].input.x', description: 'is not valid Unicode: it holds a lone UTF-16 surrogate' },
      { field: 'body.s', description: 'has a key that contains a NUL character' },
    ]);
    expect(cleanInputViolations('\udc00 trailing half')).toEqual([{ field: '', description: 'is not valid Unicode: it holds a lone UTF-16 surrogate' }]);
  });

  it('refuses nesting past the bound at the field where it goes too deep, and stops walking there', () => {
    expect(cleanInputViolations({ settings: nested(5_000) })).toEqual([
      { field: `settings${'[0]'.repeat(MAX_JSON_DEPTH - 1)}`, description: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` },
    ]);
  });

  it('reports at most ten violations', () => {
    expect(cleanInputViolations(Array.from({ length: 1_000 }, () => '\u0000'))).toHaveLength(10);
  });
});

describe('jsonTextNestsDeeperThan', () => {
  it('counts brackets outside strings only, however deep the text', () => {
    expect(jsonTextNestsDeeperThan(nestedText(3), 3)).toBe(false);
    expect(jsonTextNestsDeeperThan(nestedText(4), 3)).toBe(true);
    expect(jsonTextNestsDeeperThan(nestedText(200_000), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonTextNestsDeeperThan(JSON.stringify({ a: '[[[[\\"[[[[', b: ['{{{{'] }), 2)).toBe(false);
  });
});

describe('parseJsonText', () => {
  it('parses JSON, empty text as {}', () => {
    expect(parseJsonText(' ', 'input')).toEqual({ ok: true, value: {} });
    expect(parseJsonText('{"a":[1,"x"]}', 'input')).toEqual({ ok: true, value: { a: [1, 'x'] } });
  });

  it('refuses text that is not JSON, too deep, or holds NUL or a lone surrogate, naming the field', () => {
    expect(parseJsonText('{"a":', 'config')).toEqual({ ok: false, violations: [{ field: 'config', description: 'must be valid JSON' }] });
    expect(parseJsonText(nestedText(5_000), 'input')).toEqual({
      ok: false,
      violations: [{ field: 'input', description: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }],
    });
    expect(parseJsonText('{"q":"a\\u0000b","r":"\\ud800"}', 'input')).toEqual({
      ok: false,
      violations: [
        { field: 'input.q', description: 'contains a NUL character' },
        { field: 'input.r', description: 'is not valid Unicode: it holds a lone UTF-16 surrogate' },
      ],
    });
  });
});

describe('parseRequest', () => {
  const schema = z.object({ name: z.string().min(1), settings: z.record(z.string(), z.unknown()).optional() });

  it('returns the parsed request', () => {
    expect(parseRequest(schema, { name: 'ok', settings: { a: [1] } })).toEqual({ name: 'ok', settings: { a: [1] } });
  });

  it('refuses a NUL in any string field and a Struct nested past the bound, before the schema', () => {
    const refusal = (request: unknown): AppError => {
      try {
        parseRequest(schema, request);
      } catch (err) {
        return err as AppError;
      }
      throw new Error('parseRequest accepted it');
    };
    expect(refusal({ name: 'a\u0000b' })).toMatchObject({ kind: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'name', description: 'contains a NUL character' }] });
    expect(refusal({ name: 'ok', settings: { a: nested(100) } }).fieldViolations[0]?.field).toMatch(/^settings\.a(\[0\])+$/);
  });

  it('names schema failures by their path', () => {
    expect(() => parseRequest(schema, { name: '' })).toThrow(expect.objectContaining({ fieldViolations: [expect.objectContaining({ field: 'name' })] }));
  });
});
