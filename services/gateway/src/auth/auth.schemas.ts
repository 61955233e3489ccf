import type { Membership, Organization, TokenPair, User } from '@bulkhead/contracts';
import { z } from 'zod';
import { apiKeyResponse } from '../api-keys/api-keys.schemas';
import { displayName, STRICT_BODY_NOTE } from '../http/common.schemas';

const PASSWORD_MAX_BYTES = 1024;
/** The auth service's shortest new password (`MIN_PASSWORD_LENGTH`), declared here so the document says it. */
const NEW_PASSWORD_MIN_LENGTH = 12;

/** A refresh token as auth issues it: `bhr_` and 32 random bytes in base64url. */
export const REFRESH_TOKEN_PATTERN = /^bhr_[A-Za-z0-9_-]{43}$/;

const email = z.email().max(320).describe('An email address.');
const password = z
  .string()
  .min(1)
  .max(PASSWORD_MAX_BYTES)
  // Characters are at most bytes: `max` already names a password too long in characters.
  .refine((value) => value.length > PASSWORD_MAX_BYTES || Buffer.byteLength(value, 'utf8') <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  })
  .describe(`1 to ${PASSWORD_MAX_BYTES} bytes (UTF-8).`);
const newPassword = z
  .string()
  .min(NEW_PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_BYTES)
  .refine((value) => value.length > PASSWORD_MAX_BYTES || Buffer.byteLength(value, 'utf8') <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  })
  .describe(
    `${NEW_PASSWORD_MIN_LENGTH} characters to ${PASSWORD_MAX_BYTES} bytes (UTF-8). The auth service also refuses one of fewer than 4 different ` +
      'characters or holding the email address (400 naming `password`).',
  );
const organizationId = z.uuid().describe('An organization (tenant) id.');

export const signUpBody = z
  .strictObject({ email, password: newPassword, name: displayName, organizationName: displayName })
  .describe(`A new user and their first organization. ${STRICT_BODY_NOTE}`);

export const loginBody = z
  .strictObject({
    email,
    password,
    organizationId: organizationId.optional().describe('The organization to sign in to; default: the first membership.'),
  })
  .describe(`Credentials. ${STRICT_BODY_NOTE}`);

export const refreshBody = z
  .strictObject({
    refreshToken: z.string().regex(REFRESH_TOKEN_PATTERN, 'is not a refresh token').describe('The refresh token (`bhr_…`) of the last sign-in or refresh; single-use.'),
  })
  .describe(`A refresh token to rotate. ${STRICT_BODY_NOTE}`);

export const switchOrgBody = z
  .strictObject({ organizationId: organizationId.describe('Another organization the caller belongs to.') })
  .describe(`The organization to switch to. ${STRICT_BODY_NOTE}`);

export const tokensResponse = z.object({
  accessToken: z.string().describe('A JWT to send as `Authorization: Bearer`.'),
  refreshToken: z.string().describe('Opaque and single-use: trade it at /v1/auth/refresh.'),
  expiresIn: z.int().describe('Seconds until the access token expires.'),
  organizationId: z.string().describe('The organization (UUID) the access token is for.'),
});

export const userResponse = z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: z.string().nullable() });

export const signUpResponse = z.object({
  user: userResponse,
  organization: z.object({ id: z.string(), name: z.string() }),
  accessToken: tokensResponse.shape.accessToken,
  refreshToken: tokensResponse.shape.refreshToken,
  expiresIn: tokensResponse.shape.expiresIn,
});

export const membershipResponse = z.object({ organizationId: z.string(), organizationName: z.string(), role: z.string() });

export const meResponse = z.object({
  user: userResponse.optional().describe('Present when the caller is a user.'),
  apiKey: apiKeyResponse.optional().describe('Present when the caller is an API key.'),
  organization: z.object({ id: z.string(), role: z.string() }).describe("The token's organization and the caller's role in it."),
  memberships: z.array(membershipResponse).describe('Every organization of the user; empty for an API key.'),
});

export const jwksResponse = z.object({
  keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })),
});

export const toTokensResponse = (tokens: TokenPair): z.infer<typeof tokensResponse> => ({
  accessToken: tokens.accessToken,
  refreshToken: tokens.refreshToken,
  expiresIn: tokens.expiresIn,
  organizationId: tokens.organizationId,
});

export const toUserResponse = (user: User): z.infer<typeof userResponse> => ({
  id: user.id,
  email: user.email,
  name: user.name,
  createdAt: user.createdAt ?? null,
});

export const toOrganizationResponse = (organization: Organization) => ({ id: organization.id, name: organization.name });

export const toMembershipResponse = (membership: Membership): z.infer<typeof membershipResponse> => ({
  organizationId: membership.organizationId,
  organizationName: membership.organizationName,
  role: membership.role,
});
