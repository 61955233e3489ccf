import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';

/** The workflow service's environment variables. */
export const workflowConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...shardedServiceConfigShape,
  /** The project service: a workflow's project, and the caller's role in it. */
  PROJECT_GRPC_ADDRESS: envFields.string(),
  /** The agent service: agents checked at definition time, invoked by the workers. */
  AGENT_GRPC_ADDRESS: envFields.string(),
  /** The org service: the plan, for the workflow and concurrent-run limits. */
  ORG_GRPC_ADDRESS: envFields.string(),
  /** This workload's key, which auth's WORKLOAD_KEYS lists as `workflow=<key>` (ADR 0006). */
  WORKLOAD_KEY: envFields.string().min(32, 'must be at least 32 characters'),
  /** Deadline of calls to auth, project, org and (for definitions) agent. */
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(3000),
  /** Off: the service answers the API but runs no steps (another replica's workers do). */
  WORKERS_ENABLED: envFields.boolean().default(true),
  /** Steps one replica runs at once, across all shards and tenants. */
  WORKER_CONCURRENCY: envFields.positiveInt().default(8),
  /** How long the scheduler waits after finding no work. */
  WORKER_POLL_INTERVAL_MS: envFields.positiveInt().default(100),
  /** A claim's lease; renewed at a third of it while the step runs, reclaimed once expired. */
  STEP_LEASE_MS: envFields.positiveInt().default(15_000),
};

export type WorkflowConfig = EnvConfig<typeof workflowConfigShape>;
