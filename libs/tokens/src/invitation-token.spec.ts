import { randomBytes } from 'node:crypto';
import { encodeInvitationToken, parseInvitationToken } from './index';

describe('invitation tokens', () => {
  const orgId = '019a7c2e-5b1f-7d3a-9c4e-0123456789ab';

  it('round-trips the org id and the secret', () => {
    const secret = randomBytes(32);
    const token = encodeInvitationToken(orgId, secret);
    expect(token).toMatch(/^bhi_[A-Za-z0-9_-]{64}$/);
    const parsed = parseInvitationToken(token);
    expect(parsed?.organizationId).toBe(orgId);
    expect(parsed?.secret.equals(secret)).toBe(true);
  });

  it('draws a fresh secret by default and normalizes the id to lowercase', () => {
    const a = encodeInvitationToken(orgId.toUpperCase());
    expect(a).not.toBe(encodeInvitationToken(orgId));
    expect(parseInvitationToken(a)?.organizationId).toBe(orgId);
  });

  it('refuses to encode a non-UUID id or a short secret', () => {
    expect(() => encodeInvitationToken('acme')).toThrow('UUID');
    expect(() => encodeInvitationToken(orgId, randomBytes(16))).toThrow('32 bytes');
  });

  it('answers undefined for anything malformed', () => {
    const token = encodeInvitationToken(orgId);
    for (const bad of ['', 'bhi_', token.slice(4), `xyz_${token.slice(4)}`, token.slice(0, -1), `${token}A`, `${token.slice(0, -2)}!!`, `bhi_${'A'.repeat(63)}=`]) {
      expect(parseInvitationToken(bad)).toBeUndefined();
    }
  });
});
