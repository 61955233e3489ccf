import type { Organization as RegistryOrganization, orgV1 } from '@bulkhead/contracts';
import { PLANS } from '@bulkhead/permissions';
import { z } from 'zod';
import { displayName, jsonObject, listResponse, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';

const slug = z
  .string()
  .regex(/^[a-z0-9-]{3,63}$/, 'must be 3 to 63 lowercase letters, digits and dashes')
  .describe("The organization's subdomain; unique across the platform (409 when taken).");

export const orgIdParams = z.object({ orgId: uuidParam("The organization id; must be the access token's organization (404 otherwise).") });

export const createOrgBody = z
  .strictObject({
    name: displayName.describe('Trimmed, 1 to 200 characters.'),
    slug: slug.optional().describe('Default: derived from the name.'),
  })
  .describe(`A new organization; the caller becomes its owner. ${STRICT_BODY_NOTE}`);

export const updateOrgBody = z
  .strictObject({
    name: displayName.optional(),
    slug: slug.optional(),
    plan: z.enum(PLANS).optional().describe('Changing the plan is for owners.'),
    settings: jsonObject.optional().describe('Replaces the settings object.'),
  })
  .describe(`Only the fields that are set change. ${STRICT_BODY_NOTE}`);

const planLimits = z
  .object({
    projects: z.int(),
    members: z.int(),
    workflows: z.int(),
    agents: z.int(),
    requestsPerMinute: z.int(),
    concurrentRuns: z.int(),
    storageBytes: z.int().describe('Bytes of knowledge-base document text (UTF-8, as split into passages).'),
  })
  .describe("What the organization's plan allows; 0 is unlimited.");

export const orgResponse = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  plan: z.string().describe('basic, professional or enterprise.'),
  limits: planLimits.nullable(),
  settings: jsonObject,
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export const createdOrgResponse = z.object({ id: z.string(), name: z.string(), slug: z.string() });

export const orgListResponse = listResponse(
  z.object({ id: z.string(), name: z.string(), role: z.string().describe("The caller's role in it.") }),
);

export const usageResponse = z.object({
  plan: z.string(),
  items: z
    .array(
      z.object({
        resource: z
          .string()
          .describe(
            'The plan limit: projects, members, agents, storageBytes (knowledge-base document text, UTF-8 bytes), workflows, concurrentRuns (runs running now), requestsPerMinute (requests of the last minute, this one included). Clients must ignore names they do not know.',
          ),
        used: z.int().min(0),
        limit: z.int().min(0).describe('0: unlimited.'),
      }),
    )
    .describe("One item per plan limit. agents and storageBytes, workflows and concurrentRuns are left out when the platform runs without the agent or workflow service; requestsPerMinute when the rate-limit store did not answer."),
});

export const toOrgResponse = (org: orgV1.Organization): z.infer<typeof orgResponse> => ({
  id: org.id,
  name: org.name,
  slug: org.slug,
  plan: org.plan,
  limits: org.limits ?? null,
  settings: org.settings ?? {},
  createdAt: org.createdAt ?? null,
  updatedAt: org.updatedAt ?? null,
});

export const toCreatedOrgResponse = (org: RegistryOrganization): z.infer<typeof createdOrgResponse> => ({
  id: org.id,
  name: org.name,
  slug: org.slug,
});
