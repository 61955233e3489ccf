/** Who is calling: a signed-in user or an API key acting for an org. */
export type PrincipalType = 'user' | 'apiKey';

/** The verified caller, as handlers and middleware see it. */
export interface Principal {
  readonly type: PrincipalType;
  /** User id (or API key id). */
  readonly subject: string;
  readonly tenantId: string;
  readonly role: string;
  readonly sessionId: string;
  readonly scopes: readonly string[];
  /** The token's `jti`. */
  readonly tokenId: string;
  readonly expiresAt: Date;
}
