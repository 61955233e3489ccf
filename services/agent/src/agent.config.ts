import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';
import { z } from 'zod';
import { parseCidrList } from './kinds/egress-guard';

/** The agent service's environment variables. */
export const agentConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...shardedServiceConfigShape,
  /** The org service: the plan, for the agent limit. */
  ORG_GRPC_ADDRESS: envFields.string(),
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(3000),
  /** Wraps every tenant's data key, which encrypts its agents' credentials (envelope encryption). */
  AGENT_MASTER_KEY: envFields.aes256Key(),
  /**
   * Private, loopback or link-local ranges http agents may reach anyway, as CIDRs
   * (`127.0.0.1/32,10.20.0.0/16`); empty: none. 169.254.169.254 (cloud metadata) never.
   */
  AGENT_EGRESS_ALLOW: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseCidrList(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** The most an http agent reads of a response body. */
  AGENT_HTTP_MAX_RESPONSE_BYTES: envFields.positiveInt().default(1024 * 1024),
};

export type AgentConfig = EnvConfig<typeof agentConfigShape>;
