import { Readable } from 'node:stream';
import type { auditV1 } from '@bulkhead/contracts';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import type { AuditClient } from '../upstream/audit.upstream';
import { requiredField } from '../upstream/upstream-call';
import { configuredUpstream, upstreamError } from '../upstream/upstream-client';
import {
  auditEventIdParams,
  auditEventListResponse,
  auditEventResponse,
  eventFilterOf,
  EXPORT_CONTENT_TYPES,
  exportAuditEventsQuery,
  listAuditEventsQuery,
  toAuditEventResponse,
  toVerifyAuditChainResponse,
  verifyAuditChainQuery,
  verifyAuditChainResponse,
} from './audit.schemas';

const TAGS = ['audit'];
const REVIEWERS = 'owner, admin, auditor';

/** How long an export may stream (the audit service caps its streams at the same). */
export const EXPORT_DEADLINE_MS = 600_000;

/** The export's chunks as bytes, the first one already read; leaving early cancels the gRPC stream. */
async function* exportBytes(
  first: IteratorResult<auditV1.ExportEventsResponse>,
  rest: AsyncIterator<auditV1.ExportEventsResponse>,
): AsyncGenerator<Buffer, void, undefined> {
  try {
    for (let next = first; next.done !== true; next = await rest.next()) yield Buffer.from(next.value.data);
  } finally {
    await rest.return?.();
  }
}

/**
 * Answers with the export `chunks` as a streamed file. The first chunk is awaited before
 * answering, so a refusal (400, 403, 404, 503) is a problem+json and not a 200 cut short; the
 * rest is piped, read only as the client reads.
 */
export async function sendExport(
  reply: FastifyReply,
  chunks: AsyncIterable<auditV1.ExportEventsResponse>,
  format: keyof typeof EXPORT_CONTENT_TYPES,
): Promise<FastifyReply> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next().catch((err: unknown) => {
    throw upstreamError('audit', err);
  });
  return reply
    .type(EXPORT_CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="audit-events.${format}"`)
    // The 200 schema documents the file for OpenAPI; Fastify pipes a stream as is (never
    // serializing it), pulling the next chunk only as the socket drains.
    .send(Readable.from(exportBytes(first, iterator)) as unknown as string);
}

/**
 * `/v1/audit`: the compliance log of the token's organization (list, get, export, verify),
 * forwarded to the audit service, which checks `audit.read` and answers another organization's
 * event as 404. Without an audit service configured, these routes answer 503 naming it.
 */
export function registerAuditRoutes(app: HttpApp, deps: { audit: AuditClient | undefined; authentication: Authentication }): void {
  const { authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });
  const audit = (): AuditClient => configuredUpstream('audit', deps.audit, 'AUDIT_GRPC_ADDRESS');

  app.get(
    '/v1/audit/events',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated(`The organization's audit events, newest first, filtered (${REVIEWERS})`),
        querystring: listAuditEventsQuery,
        response: { 200: auditEventListResponse },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const answer = await audit().listEvents(
        { tenantId: '', filter: eventFilterOf(filter), page: pageRequestOf({ limit, cursor }) },
        authentication.callOptionsOf(request),
      );
      return { items: answer.items.map(toAuditEventResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.get(
    '/v1/audit/events/:id',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated(`One audit event with its chain position (sequence, hash, prevHash) (${REVIEWERS})`),
        params: auditEventIdParams,
        response: { 200: auditEventResponse },
      },
    },
    async (request) => {
      const answer = await audit().getEvent({ tenantId: '', id: request.params.id }, authentication.callOptionsOf(request));
      return toAuditEventResponse(requiredField(answer.event, 'event'));
    },
  );

  app.get(
    '/v1/audit/export',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated(`The filtered events as a streamed NDJSON or CSV file, newest first (${REVIEWERS})`),
        querystring: exportAuditEventsQuery,
        produces: Object.values(EXPORT_CONTENT_TYPES),
        response: { 200: z.string().describe('The file, streamed: one event per line (CSV: after a header row).') },
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const chunks = audit().exportEvents(
        { tenantId: '', filter: eventFilterOf(filter), format },
        { ...authentication.callOptionsOf(request), deadline: new Date(Date.now() + EXPORT_DEADLINE_MS) },
      );
      return sendExport(reply, chunks, format);
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated(`Verify the organization's hash chain, whole or over a time or sequence range (${REVIEWERS})`),
        querystring: verifyAuditChainQuery,
        response: { 200: verifyAuditChainResponse },
      },
    },
    async (request) => {
      const { from, to, fromSequence, toSequence } = request.query;
      const answer = await audit().verifyChain(
        { tenantId: '', from: from ?? '', to: to ?? '', fromSequence: fromSequence ?? 0, toSequence: toSequence ?? 0 },
        authentication.callOptionsOf(request),
      );
      return toVerifyAuditChainResponse(answer);
    },
  );
}
