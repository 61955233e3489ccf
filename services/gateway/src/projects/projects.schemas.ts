import type { Project, ProjectMember } from '@bulkhead/contracts';
import { PROJECT_ROLES } from '@bulkhead/permissions';
import { z } from 'zod';
import { displayName, jsonObject, listResponse, pageQuery, STRICT_BODY_NOTE, uuidParam } from '../http/common.schemas';

const description = z.string().max(2000).describe('Up to 2000 characters.');

export const projectIdParams = z.object({ id: uuidParam('The project id.') });

export const projectMemberParams = projectIdParams.extend({ userId: uuidParam('The user id (a member of the organization).') });

export const listProjectsQuery = pageQuery.extend({
  includeArchived: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Also list archived projects: `true` or `false` (default).'),
});

export const createProjectBody = z
  .strictObject({
    name: displayName.describe('Unique within the organization (409 when taken); trimmed, 1 to 200 characters.'),
    description: description.optional(),
    settings: jsonObject.optional(),
  })
  .describe(`A new project; the caller becomes its admin. ${STRICT_BODY_NOTE}`);

export const updateProjectBody = z
  .strictObject({
    name: displayName.optional(),
    description: description.optional(),
    settings: jsonObject.optional().describe('Replaces the settings object.'),
    archived: z.boolean().optional(),
  })
  .describe(`Only the fields that are set change. ${STRICT_BODY_NOTE}`);

export const setProjectMemberBody = z
  .strictObject({ role: z.enum(PROJECT_ROLES).describe('The project role.') })
  .describe(`${STRICT_BODY_NOTE}`);

export const projectResponse = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  settings: jsonObject,
  archived: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export const projectListResponse = listResponse(projectResponse);

export const projectMemberResponse = z.object({
  userId: z.string(),
  role: z.string().describe('admin, editor or viewer.'),
  addedAt: z.string().nullable(),
});

export const projectMemberListResponse = listResponse(projectMemberResponse);

export const toProjectResponse = (project: Project): z.infer<typeof projectResponse> => ({
  id: project.id,
  name: project.name,
  description: project.description,
  settings: project.settings ?? {},
  archived: project.archived,
  createdAt: project.createdAt ?? null,
  updatedAt: project.updatedAt ?? null,
});

export const toProjectMemberResponse = (member: ProjectMember): z.infer<typeof projectMemberResponse> => ({
  userId: member.userId,
  role: member.role,
  addedAt: member.addedAt ?? null,
});
