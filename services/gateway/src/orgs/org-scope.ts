import { notFound } from '@bulkhead/errors';
import type { FastifyRequest } from 'fastify';
import type { Authentication } from '../authentication/authentication.hooks';

/**
 * The organization of the caller's token when the path's `orgId` names it. Any other
 * organization is 404, exactly like one that does not exist (the org service answers the same),
 * so the answer says nothing about other tenants and no call leaves the gateway.
 */
export function ownOrganizationId(authentication: Authentication, request: FastifyRequest, orgId: string): string {
  const tenantId = authentication.callerOf(request).principal.tenantId;
  if (orgId.toLowerCase() !== tenantId.toLowerCase()) throw notFound('Organization');
  return tenantId;
}
