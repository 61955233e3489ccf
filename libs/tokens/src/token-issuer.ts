import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { PrincipalType } from './principal';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key';

/** The `typ` header of every access token (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Options of {@link createTokenIssuer}. */
export interface TokenIssuerOptions {
  /** `iss` claim: the auth service's URL. */
  issuer: string;
  /** `aud` claim. */
  audience: string;
  /** The key that signs now (the newest one); called for every token so rotation is immediate. */
  keys: () => SigningKey | Promise<SigningKey>;
  /** Token lifetime in seconds (minutes, not hours). */
  ttlSeconds: number;
  /** Clock; default the system's. */
  now?: () => Date;
}

/** What an access token says about its holder. */
export interface AccessTokenSubject {
  /** User id (or API key id). */
  sub: string;
  /** Tenant (org) id. */
  tid: string;
  role: string;
  /** Session id: revoking it revokes the token. */
  sid: string;
  /** Granted scopes; encoded space-separated in the `scope` claim. */
  scope: readonly string[];
  /** Default `'user'`; any other type is encoded as the `pty` claim. */
  principalType?: PrincipalType;
  /** Lifetime of this token in seconds, when it must differ from the issuer's (service tokens). */
  ttlSeconds?: number;
  /** The user's live platform roles; encoded as the `plat` claim when not empty (users only). */
  platformRoles?: readonly string[];
  /** The project an API key is bound to; encoded as the `pid` claim (API keys only). */
  projectId?: string;
}

/** A signed access token. */
export interface IssuedAccessToken {
  token: string;
  /** Seconds until it expires. */
  expiresIn: number;
  jti: string;
}

/** Issues access tokens. */
export interface TokenIssuer {
  issueAccessToken(subject: AccessTokenSubject): Promise<IssuedAccessToken>;
}

/** Creates a {@link TokenIssuer} signing EdDSA JWTs with the active key's `kid`. */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const now = options.now ?? (() => new Date());
  return {
    async issueAccessToken(subject) {
      const key = await options.keys();
      const iat = Math.floor(now().getTime() / 1000);
      const jti = randomUUID();
      const ttlSeconds = subject.ttlSeconds ?? options.ttlSeconds;
      const token = await new SignJWT({
        tid: subject.tid,
        role: subject.role,
        sid: subject.sid,
        scope: subject.scope.join(' '),
        ...(subject.principalType !== undefined && subject.principalType !== 'user' ? { pty: subject.principalType } : {}),
        ...(subject.platformRoles !== undefined && subject.platformRoles.length > 0 ? { plat: [...subject.platformRoles] } : {}),
        ...(subject.projectId !== undefined ? { pid: subject.projectId } : {}),
      })
        .setProtectedHeader({
          alg: SIGNING_ALGORITHM,
          kid: key.kid,
          typ: ACCESS_TOKEN_TYPE,
        })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(subject.sub)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(jti)
        .sign(key.privateKey);
      return { token, expiresIn: ttlSeconds, jti };
    },
  };
}
