/** The SELECT the project service runs for GetProject (services/project projects.repository.ts). */
export const GET_PROJECT = `SELECT p.id, p.name, p.description, p.settings, p.archived, p.created_by, p.created_at, p.updated_at,
  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_at, m.role AS project_role
  FROM projects p
  LEFT JOIN project_members m ON m.tenant_id = p.tenant_id AND m.project_id = p.id AND m.user_id = $3
  WHERE p.tenant_id = $1 AND p.id = $2`;

/** A child's setting, from the environment its parent gave it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

/** Tells the parent that the child listens on `port`. */
export function ready(port: number): void {
  process.send?.({ port });
}
