export { devstackEnvSchema } from './devstack-env.schema';
export type { DevstackEnv } from './devstack-env.schema';
export {
  devstackEnvPath,
  loadDevstackEnv,
  startComponent,
  stopComponent,
  toServiceEnvironment,
  workspaceRoot,
} from './devstack-env';
export type { LoadDevstackEnvOptions } from './devstack-env';
export { freePort } from './free-port';
