import type { orgV1 } from '@bulkhead/contracts';
import { ORG_ROLES } from '@bulkhead/permissions';
import { z } from 'zod';
import { listResponse, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';
import { orgIdParams } from '../orgs/orgs.schemas';

export const memberParams = orgIdParams.extend({ userId: uuidParam('The member (user) id.') });

export const updateMemberBody = z
  .strictObject({ role: z.enum(ORG_ROLES).describe('The new org role; only owners grant or take away owner.') })
  .describe(`${STRICT_BODY_NOTE}`);

export const memberResponse = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  joinedAt: z.string().nullable(),
});

export const memberListResponse = listResponse(memberResponse);

export const toMemberResponse = (member: orgV1.Member): z.infer<typeof memberResponse> => ({
  userId: member.userId,
  email: member.email,
  name: member.name,
  role: member.role,
  joinedAt: member.joinedAt ?? null,
});
