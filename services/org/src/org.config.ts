import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';

/** The org service's environment variables. */
export const orgConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...shardedServiceConfigShape,
  /** The project service: project counts for usage. */
  PROJECT_GRPC_ADDRESS: envFields.string(),
};

export type OrgConfig = EnvConfig<typeof orgConfigShape>;
