import type { RouteOptions } from 'fastify';

/** The methods the gateway routes, by path pattern: what a 405's `Allow` header lists. */
export interface RouteMethods {
  /** Records a route (an `onRoute` hook). */
  add(route: Pick<RouteOptions, 'method' | 'url'>): void;
  /** Methods routed at a concrete path (`/v1/projects/0f…`), sorted; empty when no route matches it. */
  allowedAt(path: string): string[];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A fastify path pattern (`/v1/projects/:id`, `/docs/*`) as a regular expression over concrete paths. */
function patternOf(url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment === '*') return '.*';
    if (segment.startsWith(':')) return '[^/]+';
    return escapeRegExp(segment);
  });
  return new RegExp(`^${segments.join('/')}/?$`);
}

/** An empty {@link RouteMethods}; GET routes allow HEAD too, as fastify answers it for them. */
export function createRouteMethods(): RouteMethods {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  return {
    add(route) {
      const entry = byPattern.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        entry.methods.add(method.toUpperCase());
        if (method.toUpperCase() === 'GET') entry.methods.add('HEAD');
      }
      byPattern.set(route.url, entry);
    },
    allowedAt(path) {
      const allowed = new Set<string>();
      for (const { pattern, methods } of byPattern.values()) {
        if (pattern.test(path)) for (const method of methods) allowed.add(method);
      }
      return [...allowed].sort();
    },
  };
}
