import type { CallContext, MethodInfo } from './call-context';

/**
 * The shape of one method in a generated service definition (ts-proto's `outputServices=grpc-js`
 * or a hand-written `@grpc/grpc-js` `MethodDefinition`), with request and response types kept.
 */
export interface AnyMethodDefinition {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  // `never` parameters accept every serializer; the deserializers carry the message types.
  readonly requestSerialize: (value: never) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
}

/** A generated service definition: method name → method definition. */
export type AnyServiceDefinition = { readonly [method: string]: AnyMethodDefinition };

/** The request message type of a method definition. */
export type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer R } ? R : never;
/** The response message type of a method definition. */
export type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer R } ? R : never;

/** A unary handler: one request in, one response out. */
export type UnaryMethodImplementation<Req, Res, Ctx> = (request: Req, ctx: Ctx) => Promise<Res>;
/** A server-streaming handler, usually an `async function*`. */
export type ServerStreamingMethodImplementation<Req, Res, Ctx> = (request: Req, ctx: Ctx) => AsyncIterable<Res>;

/**
 * Async handlers for every method of a service definition. Client-streaming and bidirectional
 * methods are not supported yet: their entry is `never`, so such a service does not compile.
 */
export type ServiceImplementation<Def extends AnyServiceDefinition, Ctx = CallContext> = {
  [K in keyof Def]: Def[K] extends { requestStream: true }
    ? never
    : Def[K] extends { responseStream: true }
      ? ServerStreamingMethodImplementation<RequestOf<Def[K]>, ResponseOf<Def[K]>, Ctx>
      : UnaryMethodImplementation<RequestOf<Def[K]>, ResponseOf<Def[K]>, Ctx>;
};

/** Splits `/pkg.Service/Method` into its parts. */
export function methodInfoOf(definition: AnyMethodDefinition): MethodInfo {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(definition.path);
  if (!match?.[1] || !match[2]) throw new TypeError(`not a gRPC method path: "${definition.path}"`);
  return {
    path: definition.path,
    service: match[1],
    name: match[2],
    requestStream: definition.requestStream,
    responseStream: definition.responseStream,
  };
}
