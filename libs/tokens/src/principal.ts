/**
 * Who is calling: a signed-in user, an API key acting for an org, or a platform service acting
 * for an org (a short-lived token the auth service mints for its own calls to other services;
 * never handed to clients, and refused at the gateway).
 */
export type PrincipalType = 'user' | 'apiKey' | 'service';

/** The `pty` claim of each non-user principal type. */
export const PRINCIPAL_TYPE_CLAIMS: ReadonlySet<string> = new Set<PrincipalType>(['apiKey', 'service']);

/** The verified caller, as handlers and middleware see it. */
export interface Principal {
  readonly type: PrincipalType;
  /** User id (API key id, service name). */
  readonly subject: string;
  readonly tenantId: string;
  readonly role: string;
  readonly sessionId: string;
  readonly scopes: readonly string[];
  /** The token's `jti`. */
  readonly tokenId: string;
  readonly expiresAt: Date;
  /**
   * Platform roles (e.g. `compliance`) from the `plat` claim: granted by operators, valid in any
   * organization. Absent when the token carries none (API keys and services never do).
   */
  readonly platformRoles?: readonly string[];
  /**
   * The one project an API key is bound to, from the `pid` claim; absent for organization-wide
   * keys, users and services. The permission table keeps such a key inside it.
   */
  readonly projectId?: string;
}

/** The fields naming a caller on every log line of its request: its organization and who it is. */
export interface PrincipalLogFields {
  readonly tenantId: string;
  readonly userId?: string;
  readonly apiKeyId?: string;
  readonly serviceName?: string;
}

const SUBJECT_FIELD: Readonly<Record<PrincipalType, 'userId' | 'apiKeyId' | 'serviceName'>> = {
  user: 'userId',
  apiKey: 'apiKeyId',
  service: 'serviceName',
};

/** `principal` as {@link PrincipalLogFields}: the subject under the name of its type. */
export function principalLogFields(principal: Principal): PrincipalLogFields {
  return { tenantId: principal.tenantId, [SUBJECT_FIELD[principal.type]]: principal.subject };
}
