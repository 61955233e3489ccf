import { AppError, isAppError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import type { Redis } from 'ioredis';
import type { MembershipClient } from '../upstream/membership.upstream';

/** How long a resolved slug is trusted; a changed slug may point at its old organization this long. */
export const SLUG_CACHE_TTL_SECONDS = 60;

/**
 * The Redis key of a slug's organization id. Global, not `bh:{<tenantId>}:…`: the tenant is what
 * the lookup finds. Slugs are DNS labels, so the key needs no escaping.
 */
export const slugCacheKey = (slug: string): string => `bh:slug:${slug}`;

/** Resolved slugs; a cache, so it never fails a request. */
export interface SlugCache {
  get(slug: string): Promise<string | undefined>;
  set(slug: string, organizationId: string): Promise<void>;
}

/**
 * {@link SlugCache} in Redis, shared by every gateway replica, entries kept
 * {@link SLUG_CACHE_TTL_SECONDS}. Redis failing costs only the cache (logged).
 */
export function createRedisSlugCache(redis: Redis, logger: Logger): SlugCache {
  const warn = (err: unknown, slug: string): void => logger.warn({ err, key: slugCacheKey(slug) }, 'slug cache unavailable; continuing without it');
  return {
    async get(slug) {
      try {
        return (await redis.get(slugCacheKey(slug))) ?? undefined;
      } catch (err) {
        warn(err, slug);
        return undefined;
      }
    },
    async set(slug, organizationId) {
      await redis.set(slugCacheKey(slug), organizationId, 'EX', SLUG_CACHE_TTL_SECONDS).catch((err: unknown) => warn(err, slug));
    },
  };
}

/** The organization whose subdomain a slug is. */
export interface SlugResolver {
  /** The organization id of `slug`; 404 `SUBDOMAIN_NOT_FOUND` when no organization has it. */
  organizationOf(slug: string, callOptions: ClientCallOptions): Promise<string>;
}

/** 404 for a subdomain no organization has, whatever the auth service called it. */
export function subdomainNotFound(subdomain: string, cause?: unknown): AppError {
  return new AppError({
    kind: 'NOT_FOUND',
    code: 'SUBDOMAIN_NOT_FOUND',
    message: `No organization has the subdomain "${subdomain}".`,
    cause,
  });
}

/**
 * Slugs resolved by auth's `MembershipService.ResolveSlug` on the caller's token, through
 * `cache`. Unknown slugs are not cached, so a new organization's subdomain works at once.
 */
export function createSlugResolver(deps: { cache: SlugCache; membership: MembershipClient }): SlugResolver {
  return {
    async organizationOf(slug, callOptions) {
      const cached = await deps.cache.get(slug);
      if (cached !== undefined) return cached;
      let organizationId: string;
      try {
        ({ organizationId } = await deps.membership.resolveSlug({ slug }, callOptions));
      } catch (err) {
        throw isAppError(err) && err.kind === 'NOT_FOUND' ? subdomainNotFound(slug, err) : err;
      }
      await deps.cache.set(slug, organizationId);
      return organizationId;
    },
  };
}
