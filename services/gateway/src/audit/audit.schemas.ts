import { auditEventSchema } from '@bulkhead/audit';
import type { auditV1 } from '@bulkhead/contracts';
import { z } from 'zod';
import { jsonObject, listResponse, pageQuery, uuidParam } from '../http/common.schemas';

const OUTCOMES = auditEventSchema.shape.outcome.options;

/** The export formats and what each is served as. */
export const EXPORT_CONTENT_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;

const instant = (description: string) => z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' }).describe(description);
const text = (max: number, description: string) => z.string().min(1).max(max).describe(description);

const timeRange = {
  from: instant('RFC 3339; events that occurred at or after it.').optional(),
  to: instant('RFC 3339; events that occurred before it.').optional(),
};

/** `from` after `to` is a 400 naming `querystring.from`. */
const fromNotAfterTo = (range: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void => {
  if (range.from !== undefined && range.to !== undefined && Date.parse(range.from) > Date.parse(range.to)) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  }
};

const filterFields = {
  actorId: text(200, 'The acting user, API key or service id.').optional(),
  action: text(100, 'An action of the catalogue, e.g. `project.created`.').optional(),
  resourceType: text(100, 'e.g. `project`.').optional(),
  resourceId: text(200, 'The resource id.').optional(),
  outcome: z.enum(OUTCOMES).optional().describe(`One of ${OUTCOMES.join(', ')}.`),
  ...timeRange,
};

export const listAuditEventsQuery = pageQuery.extend(filterFields).superRefine(fromNotAfterTo);

export const exportAuditEventsQuery = z
  .object({ ...filterFields, format: z.enum(['ndjson', 'csv']).describe('`ndjson` (one event per line) or `csv` (with a header row).') })
  .superRefine(fromNotAfterTo);

export const verifyAuditChainQuery = z
  .object({
    ...timeRange,
    fromSequence: z.coerce.number().int().min(1).optional().describe('First sequence number to verify (inclusive).'),
    toSequence: z.coerce.number().int().min(1).optional().describe('Last sequence number to verify (inclusive).'),
  })
  .superRefine(fromNotAfterTo)
  .superRefine((range, ctx) => {
    if (range.fromSequence !== undefined && range.toSequence !== undefined && range.fromSequence > range.toSequence) {
      ctx.addIssue({ code: 'custom', path: ['fromSequence'], message: 'must not be after toSequence' });
    }
  });

export const auditEventIdParams = z.object({ id: uuidParam('The event id.') });

/** The contract's filter from a validated query (absent fields empty, as proto3 has it). */
export const eventFilterOf = (query: Partial<Record<keyof typeof filterFields, string>>): auditV1.EventFilter => ({
  actorId: query.actorId ?? '',
  action: query.action ?? '',
  resourceType: query.resourceType ?? '',
  resourceId: query.resourceId ?? '',
  outcome: query.outcome ?? '',
  from: query.from ?? '',
  to: query.to ?? '',
});

export const auditEventResponse = z.object({
  id: z.string(),
  tenantId: z.string(),
  sequence: z.number().int().describe("Position in the organization's hash chain, from 1."),
  occurredAt: z.string().nullable(),
  recordedAt: z.string().nullable().describe('When the compliance log stored it.'),
  actor: z.object({ type: z.string().describe('user, apiKey, service or platform.'), id: z.string() }),
  action: z.string(),
  resource: z.object({ type: z.string(), id: z.string().nullable() }),
  outcome: z.string().describe(`${OUTCOMES.join(', ')}.`),
  requestId: z.string().nullable(),
  traceId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  changes: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }).nullable().describe('Before/after, secrets redacted.'),
  metadata: jsonObject.nullable(),
  hash: z.string().describe('sha256(prevHash || canonicalJson(event)), hex.'),
  prevHash: z.string().describe('The hash of the event before it (64 zeros before the first).'),
});

export const auditEventListResponse = listResponse(auditEventResponse);

export const verifyAuditChainResponse = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('Events checked.'),
  firstBrokenEventId: z.string().optional().describe('The first event whose link is broken (altered, deleted, forged); absent when ok.'),
  reason: z.string().optional().describe('Why that link is broken.'),
});

const orNull = (value: string): string | null => (value === '' ? null : value);
const parsedOrNull = <T>(json: string): T | null => (json === '' ? null : (JSON.parse(json) as T));

export const toAuditEventResponse = (event: auditV1.AuditEvent): z.infer<typeof auditEventResponse> => ({
  id: event.id,
  tenantId: event.tenantId,
  sequence: event.sequence,
  occurredAt: event.occurredAt ?? null,
  recordedAt: event.recordedAt ?? null,
  actor: { type: event.actor?.type ?? '', id: event.actor?.id ?? '' },
  action: event.action,
  resource: { type: event.resource?.type ?? '', id: orNull(event.resource?.id ?? '') },
  outcome: event.outcome,
  requestId: orNull(event.requestId),
  traceId: orNull(event.traceId),
  ip: orNull(event.ip),
  userAgent: orNull(event.userAgent),
  changes: parsedOrNull(event.changesJson),
  metadata: parsedOrNull(event.metadataJson),
  hash: event.hash,
  prevHash: event.prevHash,
});

export const toVerifyAuditChainResponse = (answer: auditV1.VerifyChainResponse): z.infer<typeof verifyAuditChainResponse> => ({
  ok: answer.ok,
  checked: answer.checked,
  ...(answer.firstBrokenEventId === '' ? {} : { firstBrokenEventId: answer.firstBrokenEventId }),
  ...(answer.reason === '' ? {} : { reason: answer.reason }),
});
