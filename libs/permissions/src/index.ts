export { API_KEY_ROLES, can, isOrgRole, ORG_ROLES, PERMISSIONS, requirePermission } from './permission-table';
export type { ApiKeyRole, OrgRole, Permission } from './permission-table';
