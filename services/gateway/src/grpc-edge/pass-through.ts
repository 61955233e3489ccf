import type { AnyServiceDefinition } from '@bulkhead/grpc-kit';
import {
  credentials,
  makeGenericClientConstructor,
  type CallOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Metadata,
  type MethodDefinition,
  type requestCallback,
  type ServiceDefinition,
} from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;

/** A service definition whose messages stay bytes: the edge neither decodes nor re-encodes them. */
export type PassThroughDefinition = ServiceDefinition & Record<string, MethodDefinition<Buffer, Buffer>>;

/** `definition`'s unary and server-streaming methods with identity serializers (client streams are not forwarded). */
export function passThroughDefinition(definition: AnyServiceDefinition): PassThroughDefinition {
  return Object.fromEntries(
    Object.entries(definition)
      .filter(([, method]) => !method.requestStream)
      .map(([name, method]) => [
        name,
        {
          path: method.path,
          requestStream: false,
          responseStream: method.responseStream,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      ]),
  );
}

/** One unary method of a {@link PassThroughClient}. */
export type PassThroughMethod = (
  request: Buffer,
  metadata: Metadata,
  options: CallOptions,
  callback: requestCallback<Buffer>,
) => ClientUnaryCall;

/** One server-streaming method of a {@link PassThroughClient}. */
export type PassThroughStreamingMethod = (request: Buffer, metadata: Metadata, options: CallOptions) => ClientReadableStream<Buffer>;

/** A generic client of a backend: bytes in, bytes out, by method name. */
export interface PassThroughClient {
  method(name: string): PassThroughMethod;
  streamingMethod(name: string): PassThroughStreamingMethod;
  close(): void;
}

/** A {@link PassThroughClient} for `definition` at `address` (insecure: the mesh provides TLS). */
export function createPassThroughClient(definition: PassThroughDefinition, address: string): PassThroughClient {
  const serviceName = /^\/([^/]+)\//.exec(Object.values(definition)[0]?.path ?? '')?.[1] ?? 'unknown';
  const Client = makeGenericClientConstructor(definition, serviceName);
  const client = new Client(address, credentials.createInsecure());
  const methodOf = (name: string): unknown => {
    const method = client[name];
    if (typeof method !== 'function') throw new TypeError(`${serviceName} has no method ${name}`);
    return method;
  };
  return {
    // makeGenericClientConstructor types its methods as Function; with identity serializers they take and give Buffers.
    method: (name) => (methodOf(name) as PassThroughMethod).bind(client),
    streamingMethod: (name) => (methodOf(name) as PassThroughStreamingMethod).bind(client),
    close: () => client.close(),
  };
}
