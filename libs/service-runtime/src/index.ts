export { runService } from './service-runtime';
export type { RunningService, RunServiceOptions, RuntimeConfig, ServiceDependencies } from './service-runtime';
export { backoffDelay, createSupervisor } from './supervisor';
export type { LoopBody, LoopContext, LoopState, LoopStatus, RestartBackoff, SuperviseOptions, Supervisor, SupervisorOptions } from './supervisor';
