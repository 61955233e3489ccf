import type { ApiKey } from '@bulkhead/contracts';
import { API_KEY_ROLES, scopeProblem, SCOPES } from '@bulkhead/permissions';
import { z } from 'zod';
import { displayName, listResponse, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';

export const createApiKeyBody = z
  .strictObject({
    name: displayName.describe('What the key is for; trimmed, 1 to 200 characters.'),
    role: z.enum(API_KEY_ROLES).optional().describe('The org role the key acts with; default member.'),
    scopes: z
      .array(z.enum(SCOPES, { error: (issue) => `${scopeProblem(String(issue.input)) ?? 'is not a scope'}: scopes are resource:action from the catalogue` }))
      .max(32)
      .optional()
      .describe(
        '`resource:action` scopes from the catalogue (docs/adr/0013); the key may do only what they name, and never more than its role. Default: every scope the role allows.',
      ),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('RFC 3339; when the key stops working. Default never.'),
    projectId: z
      .uuid()
      .optional()
      .describe(
        "Binds the key to one project of the organization: it reaches only that project, its workflows and their runs (and reads and invokes the org's agents); organization-level actions answer 403. 400 when no such project is visible to the caller.",
      ),
  })
  .describe(`A new API key of the caller's organization. ${STRICT_BODY_NOTE}`);

export const apiKeyIdParams = z.object({ id: uuidParam('The API key id.') });

export const apiKeyResponse = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the secret, to recognise the key.'),
  role: z.string(),
  scopes: z.array(z.string()),
  projectId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const apiKeyListResponse = listResponse(apiKeyResponse);

export const createdApiKeyResponse = z.object({
  apiKey: apiKeyResponse,
  secret: z.string().describe('`bhk_…`: shown this once, only its hash is kept. Send it as `Authorization: Bearer`.'),
});

export const toApiKeyResponse = (key: ApiKey): z.infer<typeof apiKeyResponse> => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  role: key.role,
  scopes: key.scopes,
  projectId: key.projectId === '' ? null : key.projectId,
  createdBy: key.createdBy,
  createdAt: key.createdAt ?? null,
  expiresAt: key.expiresAt ?? null,
  lastUsedAt: key.lastUsedAt ?? null,
  revokedAt: key.revokedAt ?? null,
});
