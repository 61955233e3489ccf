import { randomBytes } from 'node:crypto';
import { openSealedSecret, sealSecret } from './index';

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const a = sealSecret(key, '{"d":"private"}');
    expect(a).not.toBe(sealSecret(key, '{"d":"private"}'));
    expect(a).not.toContain('private');
    expect(openSealedSecret(key, a)).toBe('{"d":"private"}');
  });

  it('refuses the wrong key and an altered box', () => {
    const sealed = sealSecret(key, 'secret');
    expect(() => openSealedSecret(randomBytes(32), sealed)).toThrow();
    const [version, iv, tag, body] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => openSealedSecret(key, [version, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => openSealedSecret(key, 'v0.a.b.c')).toThrow('not a sealed box of version v1');
  });
});
