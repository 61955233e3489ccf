import { requirePlatformPermission } from '@bulkhead/permissions';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EXPORT_DEADLINE_MS, sendExport } from '../audit/audit.routes';
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
} from '../audit/audit.schemas';
import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import type { AuditClient } from '../upstream/audit.upstream';
import { requiredField } from '../upstream/upstream-call';
import { configuredUpstream } from '../upstream/upstream-client';

const TAGS = ['platform'];
const WHO = 'platform compliance role; the read is recorded in that organization’s own log first';

/** Every platform route names the organization whose log it reads. */
const tenantQuery = { tenantId: z.uuid().describe('The organization whose audit log to read.') };

/**
 * `/v1/platform/audit`: any organization's compliance log (list, get, export, verify) for a user
 * whose token carries the platform `compliance` role (granted only by operators with
 * tools/platform-admin). Everyone else, org owners included, is refused with 403
 * PLATFORM_ROLE_REQUIRED before their input is even validated. The audit service checks the
 * role again, refuses a non-UUID tenantId, and records each read as `audit.platform_queried` /
 * `audit.platform_exported` in the read organization's log before answering (503 when it cannot).
 */
export function registerPlatformAuditRoutes(app: HttpApp, deps: { audit: AuditClient | undefined; authentication: Authentication }): void {
  const { authentication } = deps;
  const hooks = {
    ...authentication.hooks,
    // After the token (onRequest), before validation: an unauthorised caller learns nothing.
    preValidation: async (request: FastifyRequest) => requirePlatformPermission(authentication.callerOf(request).principal, 'platform.audit.read'),
  };
  const schema = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary: `${summary} (${WHO})` });
  const audit = (): AuditClient => configuredUpstream('audit', deps.audit, 'AUDIT_GRPC_ADDRESS');

  app.get(
    '/v1/platform/audit/events',
    {
      ...hooks,
      schema: { ...schema("An organization's audit events, newest first, filtered"), querystring: listAuditEventsQuery.safeExtend(tenantQuery), response: { 200: auditEventListResponse } },
    },
    async (request) => {
      const { tenantId, limit, cursor, ...filter } = request.query;
      const answer = await audit().listEvents({ tenantId, filter: eventFilterOf(filter), page: pageRequestOf({ limit, cursor }) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toAuditEventResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.get(
    '/v1/platform/audit/events/:id',
    {
      ...hooks,
      schema: {
        ...schema('One audit event of an organization, with its chain position'),
        params: auditEventIdParams,
        querystring: z.object(tenantQuery),
        response: { 200: auditEventResponse },
      },
    },
    async (request) => {
      const answer = await audit().getEvent({ tenantId: request.query.tenantId, id: request.params.id }, authentication.callOptionsOf(request));
      return toAuditEventResponse(requiredField(answer.event, 'event'));
    },
  );

  app.get(
    '/v1/platform/audit/export',
    {
      ...hooks,
      schema: {
        ...schema("An organization's filtered events as a streamed NDJSON or CSV file"),
        querystring: exportAuditEventsQuery.safeExtend(tenantQuery),
        produces: Object.values(EXPORT_CONTENT_TYPES),
        response: { 200: z.string().describe('The file, streamed: one event per line (CSV: after a header row).') },
      },
    },
    async (request, reply) => {
      const { tenantId, format, ...filter } = request.query;
      const chunks = audit().exportEvents(
        { tenantId, filter: eventFilterOf(filter), format },
        { ...authentication.callOptionsOf(request), deadline: new Date(Date.now() + EXPORT_DEADLINE_MS) },
      );
      return sendExport(reply, chunks, format);
    },
  );

  app.get(
    '/v1/platform/audit/verify',
    {
      ...hooks,
      schema: { ...schema("Verify an organization's hash chain, whole or over a range"), querystring: verifyAuditChainQuery.safeExtend(tenantQuery), response: { 200: verifyAuditChainResponse } },
    },
    async (request) => {
      const { tenantId, from, to, fromSequence, toSequence } = request.query;
      const answer = await audit().verifyChain(
        { tenantId, from: from ?? '', to: to ?? '', fromSequence: fromSequence ?? 0, toSequence: toSequence ?? 0 },
        authentication.callOptionsOf(request),
      );
      return toVerifyAuditChainResponse(answer);
    },
  );
}
