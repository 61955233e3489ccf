import { AppError } from '@bulkhead/errors';
import type { CallerGuard } from '../authentication/authentication.hooks';
import { upstreamCallOptions } from '../upstream/upstream-call';
import { subdomainNotFound, type SlugResolver } from './slug-resolver';
import { matchHost } from './subdomain.host';

/**
 * Requests to `<slug>.<baseDomain>` must carry a token of that slug's organization: another
 * organization's is 403 `TENANT_MISMATCH` (the answer of a mismatching `X-Tenant-ID`), a slug no
 * organization has is 404. Like the header, a subdomain never selects the tenant; the token does.
 * Requests to the base domain itself or to any other host are not checked.
 */
export function createSubdomainGuard(deps: { baseDomain: string; slugs: SlugResolver }): CallerGuard {
  return async (caller, request) => {
    const match = matchHost(request.headers.host, deps.baseDomain);
    if (match.kind === 'none') return;
    if (match.kind === 'invalid') throw subdomainNotFound(match.label);
    const organizationId = await deps.slugs.organizationOf(match.slug, upstreamCallOptions(request, caller.accessToken));
    if (organizationId.toLowerCase() !== caller.principal.tenantId.toLowerCase()) {
      throw new AppError({
        kind: 'PERMISSION_DENIED',
        code: 'TENANT_MISMATCH',
        message: 'The subdomain does not match the organization of the access token.',
      });
    }
  };
}
