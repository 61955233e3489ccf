import { statusOf, type InvitationRecord } from './invitations.repository';
import { hashInvitationToken } from './invitations.service';

const base: InvitationRecord = {
  id: '019a7c2e-5b1f-7d3a-9c4e-0123456789ab',
  email: 'a@example.test',
  role: 'member',
  createdBy: 'user-1',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  expiresAt: new Date('2026-01-08T00:00:00Z'),
  acceptedAt: null,
  acceptedBy: null,
  revokedAt: null,
};

describe('invitation status', () => {
  const before = new Date('2026-01-02T00:00:00Z');
  const after = new Date('2026-01-09T00:00:00Z');

  it('is pending until it expires, then expired', () => {
    expect(statusOf(base, before)).toBe('pending');
    expect(statusOf(base, base.expiresAt)).toBe('expired');
    expect(statusOf(base, after)).toBe('expired');
  });

  it('keeps accepted and revoked final, past the expiry too', () => {
    expect(statusOf({ ...base, acceptedAt: before, acceptedBy: 'u' }, after)).toBe('accepted');
    expect(statusOf({ ...base, revokedAt: before }, after)).toBe('revoked');
  });
});

describe('invitation token hash', () => {
  it('is the SHA-256 of the whole token, prefix included', () => {
    expect(hashInvitationToken('bhi_abc').toString('hex')).toBe('d4111d9eb65103c0209f21fba1c5c1198a91c0e8f33f7a3bb46d9ce9984baaa8');
    expect(hashInvitationToken('bhi_abd').equals(hashInvitationToken('bhi_abc'))).toBe(false);
  });
});
