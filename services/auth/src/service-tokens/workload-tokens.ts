import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { WORKLOAD_KEY_METADATA_KEY, type WorkloadTokenServiceService } from '@bulkhead/contracts';
import { AppError, notFound } from '@bulkhead/errors';
import { parseRequest, type CallContext, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { z } from 'zod';
import type { ServiceTokens } from './service-tokens';

/** The workload-token RPC: public to the token middleware, guarded by the workload key instead. */
export const PUBLIC_WORKLOAD_METHODS = ['/bulkhead.auth.v1.WorkloadTokenService/MintServiceToken'] as const;

/** Workload name → SHA-256 of its key: what `WORKLOAD_KEYS` configures. */
export type WorkloadKeys = ReadonlyMap<string, Buffer>;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Parses `name=key,name=key` (each key at least 32 characters) into {@link WorkloadKeys}. */
export const workloadKeysField = () =>
  z
    .string()
    .trim()
    .default('')
    .transform((value, ctx) => {
      const keys = new Map<string, Buffer>();
      for (const entry of value.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
        const [name, key] = entry.split('=', 2);
        if (name === undefined || !/^[a-z][a-z0-9-]*$/.test(name) || key === undefined || key.length < 32) {
          ctx.addIssue({ code: 'custom', message: 'must be a comma list of name=key, each name lower-case and each key at least 32 characters' });
          return z.NEVER;
        }
        keys.set(name, digest(key));
      }
      return keys as WorkloadKeys;
    });

/** The workload whose key `presented` is, compared in constant time; undefined when none. */
export function workloadOf(keys: WorkloadKeys, presented: string): string | undefined {
  const candidate = digest(presented);
  let found: string | undefined;
  for (const [name, expected] of keys) if (timingSafeEqual(candidate, expected)) found = name;
  return found;
}

const unauthenticated = () =>
  new AppError({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_KEY_INVALID', message: 'A valid workload key is required.' });

export interface WorkloadTokenDependencies {
  keys: WorkloadKeys;
  serviceTokens: ServiceTokens;
  /** True when `tenantId` is a registered organization. */
  organizationExists(tenantId: string): Promise<boolean>;
}

const mintSchema = z.object({ tenantId: z.uuid('must be an organization id') });

/** WorkloadTokenService: a tenant's service token for a workload that proves its key. */
export function createWorkloadTokenHandlers(deps: WorkloadTokenDependencies): ServiceImplementation<typeof WorkloadTokenServiceService, CallContext> {
  return {
    async mintServiceToken(request, ctx) {
      const workload = presentedKey(ctx.metadata);
      const name = workload === undefined ? undefined : workloadOf(deps.keys, workload);
      if (name === undefined) throw unauthenticated();
      const { tenantId } = parseRequest(mintSchema, request);
      if (!(await deps.organizationExists(tenantId))) throw notFound('Organization');
      const { token, expiresIn } = await deps.serviceTokens.tokenFor(tenantId, name);
      return { accessToken: token, expiresIn };
    },
  };
}

function presentedKey(metadata: Metadata): string | undefined {
  const [value] = metadata.get(WORKLOAD_KEY_METADATA_KEY);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
