import { makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import type { GrpcClientConstructor } from '@bulkhead/grpc-kit';

// A test-only service with JSON messages, so the middleware spec needs no proto of its own.

/** What the handler saw of its caller. */
export interface WhoAmIResponse {
  subject: string;
  tenantId: string;
}

const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const method = (path: string) => ({
  path,
  requestStream: false as const,
  responseStream: false as const,
  requestSerialize: (value: Record<string, never>): Buffer => encode(value),
  requestDeserialize: (bytes: Buffer): Record<string, never> =>
    JSON.parse(bytes.toString('utf8')) as Record<string, never>,
  responseSerialize: (value: WhoAmIResponse): Buffer => encode(value),
  responseDeserialize: (bytes: Buffer): WhoAmIResponse => JSON.parse(bytes.toString('utf8')) as WhoAmIResponse,
});

/** `WhoAmI` requires a token; `Ping` is meant to be listed as public. */
export const WhoAmIService = {
  whoAmI: method('/bulkhead.testing.v1.WhoAmIService/WhoAmI'),
  ping: method('/bulkhead.testing.v1.WhoAmIService/Ping'),
};

/** Client class for {@link WhoAmIService}. */
export const WhoAmIClient = makeGenericClientConstructor(
  WhoAmIService as unknown as ServiceDefinition,
  'bulkhead.testing.v1.WhoAmIService',
) as unknown as GrpcClientConstructor<typeof WhoAmIService>;
