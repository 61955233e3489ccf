/**
 * The catalogue of audit actions: every state change and every denied attempt the platform
 * records (DESIGN "Audit pipeline"). An event's `action` must be one of these.
 */
export const AUDIT_ACTIONS = {
  'auth.signed_up': 'A user signed up and created their first organization.',
  'auth.login_succeeded': 'A user signed in to an organization.',
  'auth.login_failed': 'A sign-in was refused (wrong credentials or throttled).',
  'auth.logged_out': 'A session was ended by its user.',
  'auth.refresh_reuse_detected': 'A used refresh token was presented again; the session was revoked.',
  'auth.token_refreshed': "A session's refresh token was rotated for new tokens.",
  'auth.org_switched': 'A user took tokens for this organization from a session opened in another.',
  'platform_role.granted': "An operator granted a user a platform role (in the platform's log, and in each organization of the user).",
  'platform_role.revoked': "An operator revoked a user's platform role (in the platform's log, and in each organization of the user).",
  'api_key.created': 'An API key was created.',
  'api_key.revoked': 'An API key was revoked.',
  'org.created': 'An organization was created.',
  'org.updated': "An organization's name, slug, plan or settings changed.",
  'org.deleted': 'An organization was deleted.',
  'member.added': 'A user joined the organization.',
  'member.role_changed': "A member's role changed.",
  'member.removed': 'A member left or was removed.',
  'invitation.created': 'Someone was invited to the organization.',
  'invitation.accepted': 'An invitation was accepted.',
  'invitation.revoked': 'An invitation was revoked.',
  'project.created': 'A project was created.',
  'project.updated': 'A project was renamed, described, reconfigured or archived.',
  'project.deleted': 'A project was deleted.',
  'project_member.set': "A user was added to a project or their project role changed.",
  'project_member.removed': 'A user was removed from a project.',
  'agent.created': 'An agent was configured (its credentials are never recorded).',
  'agent.updated': "An agent's name, config, status or credentials changed.",
  'agent.deleted': 'An agent was deleted with its documents and invocations.',
  'agent.invoked': 'An agent was run once (by a user, a key or a workflow step).',
  'agent_document.added': "A document was added to a knowledge-qa agent's knowledge base.",
  'agent_document.removed': "A document was removed from a knowledge-qa agent's knowledge base.",
  'workflow.created': 'A workflow was defined in a project.',
  'workflow.updated': "A workflow's name or steps changed (a new version).",
  'workflow.deleted': 'A workflow and its runs were deleted.',
  'run.started': 'A workflow run was requested (it waits for a concurrency slot).',
  'run.paused': 'A run was paused: no further step starts until it is resumed.',
  'run.resumed': 'A paused run was resumed.',
  'run.cancelled': 'A run was cancelled: no further step starts.',
  'run.reset': 'A run was started again from its first step (earlier steps kept as history).',
  'run.succeeded': "A run's last step succeeded.",
  'run.failed': 'A step failed after its last attempt, and with it the run.',
  'access.denied': 'An authenticated caller was refused (403, or 404 for another tenant\'s id).',
  'access.rate_limited': "A request was refused by the tenant's rate limit (sampled).",
  'audit.platform_queried': "The platform compliance role read this tenant's audit log.",
  'audit.platform_exported': "The platform compliance role exported this tenant's audit log.",
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

/**
 * The tenant id of the platform's own log: what operators do that belongs to no organization
 * (platform role grants and revocations) is chained there, and read by the compliance role like
 * any tenant's log (`/v1/platform/audit/events?tenantId=` this id). No organization has it.
 */
export const PLATFORM_LOG_TENANT_ID = '00000000-0000-0000-0000-000000000000';

export const AUDIT_ACTION_NAMES = Object.keys(AUDIT_ACTIONS) as [AuditAction, ...AuditAction[]];

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value);
}
