import { AuditReviewServiceService, type auditV1 } from '@bulkhead/contracts';
import { notFound } from '@bulkhead/errors';
import type { Logger } from '@bulkhead/observability';
import { createCallRecorder, listenFake, type ListeningFake, type RecordedCalls } from './call-recorder';
import { TENANT_ID, USER_ID, type TestTokens } from './test-tokens';

/** A method of the audit review service, by its client name (`listEvents`, …). */
export type AuditMethod = keyof typeof AuditReviewServiceService;

/** A stand-in for the audit service's reviewer API: canned answers, recorded calls, a settable export. */
export interface FakeAuditService extends ListeningFake, RecordedCalls<AuditMethod> {
  /** The chunks the next exports stream. */
  setExportChunks(chunks: readonly string[]): void;
}

export const AUDIT_EVENT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4ab0';
/** An event id the fake answers NOT_FOUND for (another tenant's, or none). */
export const MISSING_AUDIT_EVENT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4ab1';

export const AUDIT_EVENT: auditV1.AuditEvent = {
  id: AUDIT_EVENT_ID,
  tenantId: TENANT_ID,
  occurredAt: '2026-11-01T10:00:00.000Z',
  recordedAt: '2026-11-01T10:00:01.000Z',
  actor: { type: 'user', id: USER_ID },
  action: 'project.created',
  resource: { type: 'project', id: '' },
  outcome: 'success',
  requestId: 'req-1',
  traceId: '',
  ip: '10.0.0.1',
  userAgent: '',
  changesJson: '{"after":{"name":"Apollo"}}',
  metadataJson: '',
  sequence: 7,
  hash: 'b'.repeat(64),
  prevHash: 'a'.repeat(64),
};

/** Starts a fake AuditReviewService on `127.0.0.1:0`; {@link MISSING_AUDIT_EVENT_ID} is NOT_FOUND. */
export async function startFakeAuditService(logger: Logger, tokens: TestTokens): Promise<FakeAuditService> {
  const { record, ...calls } = createCallRecorder<AuditMethod>();
  let exportChunks: readonly string[] = [];
  const server = await listenFake(logger, tokens, AuditReviewServiceService, {
    async listEvents(request, ctx) {
      record('listEvents', request, ctx);
      return { items: [AUDIT_EVENT], page: { nextCursor: 'audit-2' } };
    },
    async getEvent(request, ctx) {
      record('getEvent', request, ctx);
      if (request.id === MISSING_AUDIT_EVENT_ID) throw notFound('Audit event');
      return { event: { ...AUDIT_EVENT, id: request.id } };
    },
    async *exportEvents(request, ctx) {
      record('exportEvents', request, ctx);
      for (const chunk of exportChunks) yield { data: Buffer.from(chunk, 'utf8') };
    },
    async verifyChain(request, ctx) {
      record('verifyChain', request, ctx);
      return { ok: false, checked: 3, firstBrokenEventId: AUDIT_EVENT_ID, reason: 'hash does not match the stored event' };
    },
  });
  return {
    ...calls,
    ...server,
    setExportChunks: (chunks) => {
      exportChunks = chunks;
    },
  };
}
