export { devstackEnvSchema } from './devstack-env.schema';
export type { DevstackEnv } from './devstack-env.schema';
export {
  devstackEnvPath,
  killComponent,
  loadDevstackEnv,
  startComponent,
  stopComponent,
  toServiceEnvironment,
  workspaceRoot,
} from './devstack-env';
export type { LoadDevstackEnvOptions } from './devstack-env';
export { freePort } from './free-port';
export { forgeTokens } from './forged-tokens';
export type { Forgery, ForgeryMaterial } from './forged-tokens';
export { migrateDevstack, platformServiceEnvironment, startPlatform } from './platform-harness';
export type { PlatformHarnessOptions, RunningPlatform, ServiceEndpoints } from './platform-harness';
export { eventually } from './eventually';
export { rejection } from './rejection';
export { withPgClient } from './pg-client';
export { auditDatabaseSuperuserUrl, tamperAuditLog } from './audit-log-tamper';
export { auditOutboxEvents } from './audit-outbox';
