import type { orgV1 } from '@bulkhead/contracts';
import { ORG_ROLES } from '@bulkhead/permissions';
import { z } from 'zod';
import { listResponse, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';
import { orgIdParams } from '../orgs/orgs.schemas';

const MAX_EXPIRY_HOURS = 30 * 24;

/** An invitation token as `encodeInvitationToken` (`@bulkhead/tokens`) makes it: `bhi_` and 48 bytes in base64url. */
export const INVITATION_TOKEN_PATTERN = /^bhi_[A-Za-z0-9_-]{64}$/;

export const invitationParams = orgIdParams.extend({ id: uuidParam('The invitation id.') });

export const createInvitationBody = z
  .strictObject({
    email: z.email().max(320).describe('Who is invited; only a user with this email can accept.'),
    role: z.enum(ORG_ROLES).describe('The role on joining; owner only when an owner invites.'),
    expiresInHours: z.int().min(1).max(MAX_EXPIRY_HOURS).optional().describe(`1 to ${MAX_EXPIRY_HOURS}; default 168 (7 days).`),
  })
  .describe(`An invitation to the organization. ${STRICT_BODY_NOTE}`);

export const acceptInvitationBody = z
  .strictObject({
    token: z.string().regex(INVITATION_TOKEN_PATTERN, 'is not an invitation token').describe('`bhi_…` as shown once when the invitation was created.'),
  })
  .describe(`${STRICT_BODY_NOTE}`);

export const invitationResponse = z.object({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  status: z.string().describe('pending, accepted, revoked or expired.'),
  createdBy: z.string(),
  createdAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const invitationListResponse = listResponse(invitationResponse);

export const createdInvitationResponse = z.object({
  invitation: invitationResponse,
  token: z.string().describe('`bhi_…`: shown this once, only its hash is kept. The invitee sends it to /v1/invitations/accept.'),
});

export const toInvitationResponse = (invitation: orgV1.Invitation): z.infer<typeof invitationResponse> => ({
  id: invitation.id,
  email: invitation.email,
  role: invitation.role,
  status: invitation.status,
  createdBy: invitation.createdBy,
  createdAt: invitation.createdAt ?? null,
  expiresAt: invitation.expiresAt ?? null,
  acceptedAt: invitation.acceptedAt ?? null,
  revokedAt: invitation.revokedAt ?? null,
});
