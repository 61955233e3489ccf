export {
  AUTHORIZATION_METADATA_KEY,
  bearerMetadata,
  createAuthMiddleware,
} from "./auth.middleware";
export type { AuthContext, AuthMiddlewareOptions } from "./auth.middleware";
export { buildJwks, keysToPublish } from "./jwks-builder";
export { createLocalJwksSource, createRemoteJwksSource } from "./jwks-source";
export type { JwksSource, RemoteJwksSourceOptions } from "./jwks-source";
export type { Principal, PrincipalType } from "./principal";
export {
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  SIGNING_ALGORITHM,
} from "./signing-key";
export type {
  SigningKey,
  SigningKeyStore,
  StoredSigningKey,
} from "./signing-key";
export { tokenError } from "./token-errors";
export type { TokenErrorCode } from "./token-errors";
export { ACCESS_TOKEN_TYPE, createTokenIssuer } from "./token-issuer";
export type {
  AccessTokenSubject,
  IssuedAccessToken,
  TokenIssuer,
  TokenIssuerOptions,
} from "./token-issuer";
export { createTokenVerifier } from "./token-verifier";
export type { TokenVerifier, TokenVerifierOptions } from "./token-verifier";
export { createVerifiedTokenCache } from "./verified-token-cache";
export type {
  VerifiedTokenCache,
  VerifiedTokenCacheOptions,
} from "./verified-token-cache";
