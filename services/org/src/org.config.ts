import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';

/** The org service's environment variables. */
export const orgConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...shardedServiceConfigShape,
  /** The project service: project counts for usage. */
  PROJECT_GRPC_ADDRESS: envFields.string(),
  /** The agent service: agent counts and stored document bytes for usage; unset, usage leaves them out. */
  AGENT_GRPC_ADDRESS: envFields.string().optional(),
  /** The workflow service: workflow and running-run counts for usage; unset, usage leaves them out. */
  WORKFLOW_GRPC_ADDRESS: envFields.string().optional(),
};

export type OrgConfig = EnvConfig<typeof orgConfigShape>;
