import { createHash } from 'node:crypto';
import {
  AUDIT_ACTION_NAMES,
  auditEnvelopeSchema,
  auditEventSchema,
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  REDACTED,
  redactSecrets,
  type AuditEvent,
} from './index';

const event: AuditEvent = {
  id: '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8d',
  tenantId: '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8e',
  occurredAt: '2026-11-22T10:00:00.000Z',
  actor: { type: 'user', id: '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8f' },
  action: 'project.created',
  resource: { type: 'project', id: '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c90' },
  outcome: 'success',
  changes: { after: { name: 'Website' } },
};

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, at every depth, without undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('chainHash', () => {
  it('is sha256 of the previous hash followed by the canonical event', () => {
    const expected = createHash('sha256').update(GENESIS_HASH + canonicalJson(event)).digest('hex');
    expect(chainHash(GENESIS_HASH, event)).toBe(expected);
    expect(chainHash(GENESIS_HASH, { ...event })).toBe(expected);
  });

  it('changes when the event or the previous link changes', () => {
    const first = chainHash(GENESIS_HASH, event);
    expect(chainHash(GENESIS_HASH, { ...event, outcome: 'denied' })).not.toBe(first);
    expect(chainHash(first, event)).not.toBe(first);
  });
});

describe('redactSecrets', () => {
  it('replaces secret-looking members at every depth and leaves the rest and the input alone', () => {
    const input = { name: 'k', password: 'p', nested: [{ refreshToken: 't', apiKey: 'a', note: 'ok' }], headers: { Authorization: 'Bearer x' } };
    expect(redactSecrets(input)).toEqual({
      name: 'k',
      password: REDACTED,
      nested: [{ refreshToken: REDACTED, apiKey: REDACTED, note: 'ok' }],
      headers: { Authorization: REDACTED },
    });
    expect(input.password).toBe('p');
  });
});

describe('the audit event schema', () => {
  it('accepts a catalogue event in a version-1 envelope', () => {
    expect(auditEnvelopeSchema.parse({ v: 1, event })).toEqual({ v: 1, event });
  });

  it('refuses an action outside the catalogue, an unknown outcome, unknown members and another version', () => {
    expect(auditEventSchema.safeParse({ ...event, action: 'project.exploded' }).success).toBe(false);
    expect(auditEventSchema.safeParse({ ...event, outcome: 'maybe' }).success).toBe(false);
    expect(auditEventSchema.safeParse({ ...event, extra: 1 }).success).toBe(false);
    expect(auditEnvelopeSchema.safeParse({ v: 2, event }).success).toBe(false);
  });

  it('catalogues the actions the platform records', () => {
    expect(AUDIT_ACTION_NAMES).toEqual(expect.arrayContaining(['auth.login_failed', 'member.role_changed', 'project.deleted', 'access.denied']));
  });
});
