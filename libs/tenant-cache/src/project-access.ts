/**
 * The cache of callers' roles in a project (what `ProjectService.GetProject` answers as
 * `caller_project_role`, '' for none): one hash per project, a field per user. Services that ask
 * the project service fill it; the project service drops a project's entry after every change to
 * the project or its members. A change racing a fill can leave a role stale until the TTL.
 */
export const projectAccessCacheKey = (projectId: string): string[] => ['project-access', projectId];

/** How long a cached project role is trusted when an invalidation raced its fill. */
export const PROJECT_ACCESS_TTL_SECONDS = 60;
