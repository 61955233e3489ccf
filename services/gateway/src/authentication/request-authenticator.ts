import { AppError, isAppError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import { tokenError, type Principal, type TokenVerifier } from '@bulkhead/tokens';
import { dependencyUnavailable } from '../upstream/upstream-client';
import { API_KEY_PREFIX, type ApiKeyExchange } from './api-key-exchange';

/** A verified caller and the access token forwarded upstream on its behalf. */
export interface AuthenticatedCaller {
  readonly principal: Principal;
  /** The JWT the caller sent, or the one its API key was exchanged for. */
  readonly accessToken: string;
}

/** Turns an `Authorization` header into an {@link AuthenticatedCaller}, or throws `UNAUTHENTICATED`. */
export interface RequestAuthenticator {
  authenticate(authorization: string | undefined, callOptions: ClientCallOptions): Promise<AuthenticatedCaller>;
}

// RFC 6750: the scheme is case-insensitive; the credential is token68.
const BEARER = /^Bearer +([A-Za-z0-9_\-.~+/]+=*)$/i;

/** Service tokens are minted by auth for one internal call (ADR 0004); no client may present one. */
function serviceTokenRefused(): AppError {
  return new AppError({
    kind: 'UNAUTHENTICATED',
    code: 'TOKEN_SERVICE_REFUSED',
    message: 'Service tokens are internal and not accepted here.',
  });
}

/**
 * `Authorization: Bearer <jwt>` is verified as it is; `Authorization: Bearer bhk_…` (an API
 * key) is exchanged for a JWT first, which is then verified like any other so revocation and
 * expiry apply to it too. A refused exchanged token is forgotten, so the next request exchanges
 * the key again (and fails there if the key itself was revoked). A token whose principal is a
 * service is refused: those are internal (ADR 0004).
 */
export function createRequestAuthenticator(deps: { verifier: TokenVerifier; apiKeys: ApiKeyExchange }): RequestAuthenticator {
  // The verifier throws AppErrors for tokens; anything else is its revocation list not answering.
  const verify = async (token: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await deps.verifier.verify(token);
    } catch (err) {
      throw isAppError(err) ? err : dependencyUnavailable('revocation-list', err);
    }
    if (principal.type === 'service') throw serviceTokenRefused();
    return principal;
  };
  return {
    async authenticate(authorization, callOptions) {
      if (authorization === undefined || authorization === '') throw tokenError('TOKEN_MISSING');
      const credential = BEARER.exec(authorization)?.[1];
      if (credential === undefined) throw tokenError('TOKEN_INVALID');
      if (!credential.startsWith(API_KEY_PREFIX)) {
        return { principal: await verify(credential), accessToken: credential };
      }
      const accessToken = await deps.apiKeys.accessTokenFor(credential, callOptions);
      try {
        return { principal: await verify(accessToken), accessToken };
      } catch (err) {
        deps.apiKeys.forget(credential);
        throw err;
      }
    },
  };
}
