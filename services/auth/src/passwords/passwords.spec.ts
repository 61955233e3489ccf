import { AppError } from '@bulkhead/errors';
import { createPasswordHasher } from './password-hasher';
import { assertPasswordAcceptableOrThrow, MAX_PASSWORD_BYTES } from './password-policy';

const hasher = createPasswordHasher();

describe('password hasher', () => {
  it('hashes with Argon2id at the OWASP parameters and verifies', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('answers false for an unknown account after doing the same Argon2id work', async () => {
    expect(await hasher.verify(undefined, 'anything at all')).toBe(false);
  });

  it('runs off the event loop: other callbacks run while a hash is computed', async () => {
    const order: string[] = [];
    const hashing = hasher.hash('a password being hashed').then(() => order.push('hash done'));
    setImmediate(() => order.push('event loop free'));
    await hashing;
    expect(order).toEqual(['event loop free', 'hash done']);
  });
});

describe('password policy', () => {
  const violations = (password: string): string[] => {
    try {
      assertPasswordAcceptableOrThrow(password, { email: 'ada@example.com' });
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      return (err as AppError).fieldViolations.map((v) => `${v.field}: ${v.description}`);
    }
  };

  it('accepts a long, varied password', () => {
    expect(violations('violet-harbour-42-lantern')).toEqual([]);
  });

  it('names the rule a password breaks', () => {
    expect(violations('short')).toEqual(['password: must be at least 12 characters']);
    expect(violations('aaaaaaaaaaaaaaaa')).toEqual(['password: must use at least 4 different characters']);
    expect(violations('my-name-is-ada-1234')).toEqual(['password: must not contain the email address']);
    expect(violations('x'.repeat(MAX_PASSWORD_BYTES) + 'y')).toEqual(['password: must be at most 1024 bytes']);
  });
});
