import { z } from 'zod';
import { encodeCursor, MAX_PAGE_SIZE, pageOf, parseRequest, readPage } from './index';

describe('readPage / pageOf', () => {
  it('defaults, caps and continues after the cursor key', () => {
    expect(readPage(undefined)).toEqual({ limit: 50, after: undefined });
    expect(readPage({ pageSize: 10_000, cursor: '' }).limit).toBe(MAX_PAGE_SIZE);
    expect(readPage({ pageSize: 2, cursor: encodeCursor('k-7') })).toEqual({ limit: 2, after: 'k-7' });
  });

  it('refuses a cursor it did not make, naming the field', () => {
    for (const cursor of ['garbage', Buffer.from('["v0","x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => readPage({ pageSize: 1, cursor })).toThrow(
        expect.objectContaining({ kind: 'INVALID_ARGUMENT', fieldViolations: [expect.objectContaining({ field: 'page.cursor' })] }),
      );
    }
  });

  it('gives a next cursor only when more rows exist', () => {
    const window = { limit: 2, after: undefined };
    expect(pageOf(['a', 'b', 'c'], window, (s) => s)).toEqual({ items: ['a', 'b'], nextCursor: encodeCursor('b') });
    expect(pageOf(['a', 'b'], window, (s) => s)).toEqual({ items: ['a', 'b'], nextCursor: '' });
  });
});

describe('parseRequest', () => {
  const schema = z.object({ email: z.email(), scopes: z.array(z.string().min(1)) });

  it('returns the parsed message', () => {
    expect(parseRequest(schema, { email: 'a@b.co', scopes: ['x'] })).toEqual({ email: 'a@b.co', scopes: ['x'] });
  });

  it('names every bad field, array positions included', () => {
    expect(() => parseRequest(schema, { email: 'nope', scopes: ['ok', ''] })).toThrow(
      expect.objectContaining({
        kind: 'INVALID_ARGUMENT',
        fieldViolations: [expect.objectContaining({ field: 'email' }), expect.objectContaining({ field: 'scopes[1]' })],
      }),
    );
  });
});
