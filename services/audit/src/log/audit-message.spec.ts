import { randomUUID } from 'node:crypto';
import { parseAuditMessage } from './audit-message';

const event = {
  id: randomUUID(),
  tenantId: randomUUID(),
  occurredAt: new Date().toISOString(),
  actor: { type: 'user', id: randomUUID() },
  action: 'project.created',
  resource: { type: 'project', id: randomUUID() },
  outcome: 'success',
};
const message = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseAuditMessage', () => {
  it('reads the event of a version-1 envelope', () => {
    const parsed = parseAuditMessage(message({ v: 1, event }));
    expect(parsed).toMatchObject({ ok: true, event: { id: event.id, tenantId: event.tenantId, action: 'project.created' } });
  });

  it.each([
    ['an empty message', null, 'empty message'],
    ['a value that is not JSON', message('{"v": 1'), 'unparseable: not JSON'],
    ['a JSON array', message([1]), 'unparseable: not an envelope object'],
    ['an unknown version', message({ v: 2, event }), 'unknown version: 2'],
    ['no version', message({ event }), 'unknown version: none'],
  ])('refuses %s with a reason', (_name, value, reason) => {
    expect(parseAuditMessage(value)).toEqual({ ok: false, reason });
  });

  it.each([
    ['a NUL in a field', { ...event, userAgent: 'curl\u0000' }, 'userAgent'],
    ['a lone surrogate deep in the changes', { ...event, changes: { after: { names: ['ok', 'bad \ud800'] } } }, 'changes.after.names.1'],
    ['a NUL in a metadata key', { ...event, metadata: { 'k\u0000': 1 } }, 'metadata.k\u0000'],
  ])('refuses %s, which PostgreSQL cannot store, naming where', (_name, invalid, where) => {
    expect(parseAuditMessage(message({ v: 1, event: invalid }))).toEqual({
      ok: false,
      reason: `invalid event: ${where}: text PostgreSQL cannot store (NUL or a lone surrogate)`,
    });
  });

  it('accepts a well-formed surrogate pair', () => {
    expect(parseAuditMessage(message({ v: 1, event: { ...event, userAgent: 'emoji 😀' } }))).toMatchObject({ ok: true });
  });

  it('names the invalid fields of an event', () => {
    const { tenantId: _dropped, ...withoutTenant } = event;
    const parsed = parseAuditMessage(message({ v: 1, event: { ...withoutTenant, occurredAt: 'yesterday' } }));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/^invalid event: .*tenantId: .*occurredAt: |^invalid event: .*occurredAt: .*tenantId: /);
  });
});
