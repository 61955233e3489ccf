export { runService } from './service-runtime';
export type { RunningService, RunServiceOptions, RuntimeConfig, ServiceDependencies } from './service-runtime';
