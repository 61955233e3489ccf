import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';

/** The project service's environment variables. */
export const projectConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...shardedServiceConfigShape,
  /** The org service: the organization's plan, for the project limit. */
  ORG_GRPC_ADDRESS: envFields.string(),
  /** Deadline of calls to the auth and org services. */
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(3000),
};

export type ProjectConfig = EnvConfig<typeof projectConfigShape>;
