import { auditEventSchema } from '@bulkhead/audit';
import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY, type AuditReviewServiceService, type auditV1 } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { parseRequest, readPage, type CallContext, type ServiceImplementation } from '@bulkhead/grpc-kit';
import type { AuthContext } from '@bulkhead/tokens';
import { z } from 'zod';
import { EXPORT_FORMATS } from './event-export';
import type { LoggedEvent } from './review.queries';
import type { AuditReviewService, ReviewScope } from './review.service';

/** An empty string is an absent field (proto3 strings have no presence). */
const optionalText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .transform((value) => (value === '' ? undefined : value));

const instant = z.union([
  z.literal('').transform(() => undefined),
  z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' }).transform((value) => new Date(value)),
]);

/** `from` must not be after `to` (both optional); the issue names `from`. */
const fromNotAfterTo = (range: { from?: Date | undefined; to?: Date | undefined }, ctx: z.RefinementCtx): void => {
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  }
};

const OUTCOMES = auditEventSchema.shape.outcome.options;

const filter = z
  .object({
    actorId: optionalText(200),
    action: optionalText(100),
    resourceType: optionalText(100),
    resourceId: optionalText(200),
    outcome: z.union([z.literal('').transform(() => undefined), z.enum(OUTCOMES, `must be one of ${OUTCOMES.join(', ')}`)]),
    from: instant,
    to: instant,
  })
  .superRefine(fromNotAfterTo)
  .optional()
  .transform((value) => ({
    ...value,
    from: value?.from?.toISOString(),
    to: value?.to?.toISOString(),
  }));

const tenantId = z.string();
const sequence = z
  .number()
  .int()
  .nonnegative('must not be negative')
  .transform((value) => (value === 0 ? undefined : BigInt(value)));

const schemas = {
  list: z.object({ tenantId, filter, page: z.object({ pageSize: z.number(), cursor: z.string() }).optional() }),
  get: z.object({ tenantId, id: z.uuid('must be a UUID') }),
  export: z.object({ tenantId, filter, format: z.enum(EXPORT_FORMATS, `must be one of ${EXPORT_FORMATS.join(', ')}`) }),
  verify: z
    .object({ tenantId, from: instant, to: instant, fromSequence: sequence, toSequence: sequence })
    .superRefine(fromNotAfterTo)
    .superRefine((range, ctx) => {
      if (range.fromSequence !== undefined && range.toSequence !== undefined && range.fromSequence > range.toSequence) {
        ctx.addIssue({ code: 'custom', path: ['fromSequence'], message: 'must not be after toSequence' });
      }
    }),
};

type ReviewCallContext = CallContext & AuthContext;

function scopeOf(ctx: ReviewCallContext, requestedTenantId: string): ReviewScope {
  if (ctx.principal === undefined) throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'An access token is required.' });
  const text = (key: string): string | undefined => {
    const value = ctx.metadata.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    principal: ctx.principal,
    requestedTenantId,
    origin: { requestId: ctx.requestId, ip: text(CLIENT_IP_METADATA_KEY), userAgent: text(CLIENT_USER_AGENT_METADATA_KEY) },
  };
}

/** A logged event as the contract carries it (changes and metadata as JSON text). */
function toAuditEvent({ event, sequence, recordedAt, prevHash, hash }: LoggedEvent): auditV1.AuditEvent {
  return {
    id: event.id,
    tenantId: event.tenantId,
    occurredAt: event.occurredAt,
    recordedAt: recordedAt.toISOString(),
    actor: event.actor,
    action: event.action,
    resource: { type: event.resource.type, id: event.resource.id ?? '' },
    outcome: event.outcome,
    requestId: event.requestId ?? '',
    traceId: event.traceId ?? '',
    ip: event.ip ?? '',
    userAgent: event.userAgent ?? '',
    changesJson: event.changes === undefined ? '' : JSON.stringify(event.changes),
    metadataJson: event.metadata === undefined ? '' : JSON.stringify(event.metadata),
    sequence,
    hash,
    prevHash,
  };
}

/** The AuditReviewService: validates each request at the edge, then asks the review service. */
export function createAuditReviewHandlers(review: AuditReviewService): ServiceImplementation<typeof AuditReviewServiceService, ReviewCallContext> {
  return {
    async listEvents(request, ctx) {
      const input = parseRequest(schemas.list, request);
      const { items, nextCursor } = await review.list(scopeOf(ctx, input.tenantId), input.filter, readPage(input.page));
      return { items: items.map(toAuditEvent), page: { nextCursor } };
    },
    async getEvent(request, ctx) {
      const input = parseRequest(schemas.get, request);
      return { event: toAuditEvent(await review.get(scopeOf(ctx, input.tenantId), input.id)) };
    },
    async *exportEvents(request, ctx) {
      const input = parseRequest(schemas.export, request);
      for await (const text of review.export(scopeOf(ctx, input.tenantId), input.filter, input.format)) {
        yield { data: Buffer.from(text, 'utf8') };
      }
    },
    async verifyChain(request, ctx) {
      const { tenantId: requested, from, to, fromSequence, toSequence } = parseRequest(schemas.verify, request);
      const result = await review.verify(scopeOf(ctx, requested), {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(fromSequence === undefined ? {} : { fromSeq: fromSequence }),
        ...(toSequence === undefined ? {} : { toSeq: toSequence }),
      });
      return { ok: result.ok, checked: result.checked, firstBrokenEventId: result.firstBrokenEventId ?? '', reason: result.reason ?? '' };
    },
  };
}
