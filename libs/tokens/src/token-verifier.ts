import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { JwksSource } from './jwks-source';
import { PRINCIPAL_TYPE_CLAIMS, type Principal, type PrincipalType } from './principal';
import { SIGNING_ALGORITHM } from './signing-key';
import { tokenError } from './token-errors';
import { ACCESS_TOKEN_TYPE } from './token-issuer';
import type { VerifiedTokenCache } from './verified-token-cache';

/** Claims every access token must carry. */
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti', 'tid', 'role', 'sid'];

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud`. */
  audience: string;
  jwks: JwksSource;
  /**
   * True when the session or the token was revoked. Called on EVERY verify, cache hits
   * included, so it must be cheap (a Redis set lookup).
   */
  isRevoked: (sessionId: string, tokenId: string) => Promise<boolean>;
  /** Leeway for `exp`/`nbf` between hosts' clocks; default 5. */
  clockToleranceSeconds?: number;
  /** Skips signature checks for tokens seen before; none by default. */
  cache?: VerifiedTokenCache;
  /** Clock; default the system's. */
  now?: () => Date;
}

/** Turns an access token into the caller's {@link Principal}, or throws `UNAUTHENTICATED`. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

function stringClaim(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value === '')
    throw tokenError('TOKEN_INVALID', new Error(`claim ${name} is not a string`));
  return value;
}

/** The `plat` claim: absent, or a non-empty array of role names, on a user's token only. */
function platformRolesOf(payload: JWTPayload, type: PrincipalType): { platformRoles?: string[] } {
  const plat = payload['plat'];
  if (plat === undefined) return {};
  if (!Array.isArray(plat) || plat.length === 0 || !plat.every((role) => typeof role === 'string' && role !== '')) {
    throw tokenError('TOKEN_INVALID', new Error('claim plat is not a list of role names'));
  }
  if (type !== 'user') throw tokenError('TOKEN_INVALID', new Error('claim plat on a token that is not a user\'s'));
  return { platformRoles: plat as string[] };
}

/** The `pid` claim: absent, or the id of the one project an API key's token is bound to. */
function projectIdOf(payload: JWTPayload, type: PrincipalType): { projectId?: string } {
  const pid = payload['pid'];
  if (pid === undefined) return {};
  if (typeof pid !== 'string' || pid === '') throw tokenError('TOKEN_INVALID', new Error('claim pid is not a project id'));
  if (type !== 'apiKey') throw tokenError('TOKEN_INVALID', new Error("claim pid on a token that is not an API key's"));
  return { projectId: pid };
}

function principalOf(payload: JWTPayload): Principal {
  const pty = payload['pty'];
  if (pty !== undefined && (typeof pty !== 'string' || !PRINCIPAL_TYPE_CLAIMS.has(pty))) {
    throw tokenError('TOKEN_INVALID', new Error('unknown pty claim'));
  }
  const type = (pty ?? 'user') as PrincipalType;
  const scope = payload['scope'] ?? '';
  if (typeof scope !== 'string') throw tokenError('TOKEN_INVALID', new Error('claim scope is not a string'));
  if (typeof payload.exp !== 'number') throw tokenError('TOKEN_INVALID', new Error('claim exp is not a number'));
  return {
    type,
    subject: stringClaim(payload, 'sub'),
    tenantId: stringClaim(payload, 'tid'),
    role: stringClaim(payload, 'role'),
    sessionId: stringClaim(payload, 'sid'),
    scopes: scope.split(' ').filter((s) => s !== ''),
    tokenId: stringClaim(payload, 'jti'),
    expiresAt: new Date(payload.exp * 1000),
    ...platformRolesOf(payload, type),
    ...projectIdOf(payload, type),
  };
}

/**
 * Creates a {@link TokenVerifier}: jose `jwtVerify` with `EdDSA` as the only accepted
 * algorithm, `typ: at+jwt`, the required claims, and `iss`/`aud`/`exp`/`nbf` checks; then the
 * revocation check, which runs on cache hits too.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? (() => new Date());
  const clockTolerance = options.clockToleranceSeconds ?? 5;

  async function verifySignedToken(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, (header, input) => options.jwks.getKey(header, input), {
        algorithms: [SIGNING_ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance,
        currentDate: now(),
      });
      return principalOf(payload);
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw tokenError('TOKEN_EXPIRED', err);
      if (err instanceof errors.JOSEError) throw tokenError('TOKEN_INVALID', err);
      throw err;
    }
  }

  return {
    async verify(token) {
      const cached = options.cache?.get(token, now());
      const principal = cached ?? (await verifySignedToken(token));
      if (cached === undefined) options.cache?.set(token, principal);
      if (await options.isRevoked(principal.sessionId, principal.tokenId)) throw tokenError('TOKEN_REVOKED');
      return principal;
    },
  };
}
