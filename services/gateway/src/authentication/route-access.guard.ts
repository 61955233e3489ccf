import { internalError } from '@bulkhead/errors';
import { requireRouteAccess, ROUTE_ACCESS, type RouteAccess } from '@bulkhead/permissions';
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { CallerGuard } from './authentication.hooks';

// Fastify answers HEAD with the GET route's handler.
const routeKeyOf = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

const accessOf = (method: string, url: string): RouteAccess | undefined => (ROUTE_ACCESS as Readonly<Record<string, RouteAccess>>)[routeKeyOf(method, url)];

/**
 * The gateway's half of the permission check (ADR 0013): an API key's token is held to the
 * route's entry in the route table (its scopes, its project) before any backend is called; the
 * backends check the same table again, and the roles.
 */
export const routeAccessGuard: CallerGuard = async (caller, request: FastifyRequest) => {
  const url = request.routeOptions.url ?? '';
  const access = accessOf(request.method, url);
  if (access === undefined) throw internalError(new Error(`${request.method} ${url} is not in the route table (ROUTE_ACCESS)`));
  requireRouteAccess(caller.principal, access, request.params as Record<string, string | undefined>);
};

/**
 * An `onRoute` hook refusing to register an authenticated route (one whose `onRequest` is
 * `authenticate`) that the route table does not list, so the table cannot drift from the routes.
 */
export function requireRouteInTable(authenticate: unknown): (route: RouteOptions) => void {
  return (route) => {
    const hooks = [route.onRequest].flat();
    if (!hooks.includes(authenticate as never)) return;
    for (const method of [route.method].flat()) {
      if (accessOf(method, route.url) === undefined) throw new Error(`${method} ${route.url} is authenticated but not in the route table (ROUTE_ACCESS of @bulkhead/permissions)`);
    }
  };
}
