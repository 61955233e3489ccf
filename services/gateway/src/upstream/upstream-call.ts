import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY } from '@bulkhead/contracts';
import { internalError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import { bearerMetadata } from '@bulkhead/tokens';
import { Metadata } from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';


/**
 * Options of a gRPC call made for a REST request: its request id (sent as `x-request-id`), the
 * caller's address and user agent, and, once the caller is authenticated, its access token.
 */
export function upstreamCallOptions(request: FastifyRequest, accessToken?: string): ClientCallOptions {
  const metadata = accessToken === undefined ? new Metadata() : bearerMetadata(accessToken);
  metadata.set(CLIENT_IP_METADATA_KEY, request.ip);
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined && userAgent !== '') metadata.set(CLIENT_USER_AGENT_METADATA_KEY, userAgent);
  return { requestId: request.id, metadata };
}

/** A message field the contract always fills; its absence is a broken backend, not bad input. */
export function requiredField<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw internalError(new Error(`upstream response has no ${name}`));
  return value;
}
