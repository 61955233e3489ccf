import {
  credentials as grpcCredentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type StatusObject,
} from '@grpc/grpc-js';
import { AppError } from '@bulkhead/errors';
import type { CallContext } from './call-context';
import { fromGrpcError } from './grpc-error.codec';
import { REQUEST_ID_METADATA_KEY } from './request-id.middleware';
import { methodInfoOf, type AnyMethodDefinition, type AnyServiceDefinition, type RequestOf, type ResponseOf } from './service-definition';

/** Default deadline of a client call that sets none. */
export const DEFAULT_CLIENT_DEADLINE_MS = 10_000;

/** A generated client constructor (ts-proto's `XxxClient`): it carries its service definition. */
export interface GrpcClientConstructor<Def extends AnyServiceDefinition> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): Client;
  readonly service: Def;
}

/** Options of {@link createGrpcClient}. */
export interface GrpcClientOptions {
  /** Default insecure: in the cluster the mesh provides TLS. */
  credentials?: ChannelCredentials;
  /** Deadline of calls that set none; default {@link DEFAULT_CLIENT_DEADLINE_MS}. */
  defaultDeadlineMs?: number;
  /** Passed to `@grpc/grpc-js` (keepalive, message sizes, load balancing). */
  channelOptions?: Partial<ClientOptions>;
}

/** The incoming call a client call is made for: its request id, deadline and cancellation carry over. */
export type ParentCall = Pick<CallContext, 'requestId' | 'deadline' | 'signal'>;

/** Per-call options of a {@link GrpcClient} method. */
export interface ClientCallOptions {
  /** Propagates `x-request-id`, the earlier deadline and cancellation from the call being served. */
  parent?: ParentCall;
  /** Sent as `x-request-id`; wins over `parent.requestId`. */
  requestId?: string;
  /** Absolute deadline; default now + `defaultDeadlineMs`, never later than `parent.deadline`. */
  deadline?: Date;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Extra request metadata (the caller's token, for instance). */
  metadata?: Metadata;
  /** Receives the response headers (`x-request-id` among them). */
  onHeader?: (header: Metadata) => void;
  /** Receives the response trailers. */
  onTrailer?: (trailer: Metadata) => void;
}

/** A promise-based method: unary → Promise, server streaming → AsyncIterable. */
export type ClientMethod<M> = M extends { requestStream: true }
  ? never
  : M extends { responseStream: true }
    ? (request: RequestOf<M>, options?: ClientCallOptions) => AsyncIterable<ResponseOf<M>>
    : (request: RequestOf<M>, options?: ClientCallOptions) => Promise<ResponseOf<M>>;

/** A promise-based client for a service. Failures reject with the {@link AppError} the server threw. */
export type GrpcClient<Def extends AnyServiceDefinition> = { readonly [K in keyof Def]: ClientMethod<Def[K]> };

const rawClients = new WeakMap<object, Client>();

function rawClientOf(client: object): Client {
  const raw = rawClients.get(client);
  if (!raw) throw new TypeError('not a client made by createGrpcClient');
  return raw;
}

interface PreparedCall {
  metadata: Metadata;
  callOptions: CallOptions;
  signal: AbortSignal | undefined;
}

function prepareCall(options: ClientCallOptions, defaultDeadlineMs: number): PreparedCall {
  const metadata = options.metadata?.clone() ?? new Metadata();
  const requestId = options.requestId ?? options.parent?.requestId;
  if (requestId !== undefined) metadata.set(REQUEST_ID_METADATA_KEY, requestId);

  const own = options.deadline ?? new Date(Date.now() + defaultDeadlineMs);
  const inherited = options.parent?.deadline;
  const deadline = inherited && inherited.getTime() < own.getTime() ? inherited : own;

  const signals = [options.signal, options.parent?.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return { metadata, callOptions: { deadline }, signal };
}

function cancelledBeforeStart(): AppError {
  return new AppError({ kind: 'CANCELLED', code: 'CANCELLED', message: 'Call cancelled' });
}

function unaryMethod(raw: Client, method: AnyMethodDefinition, defaultDeadlineMs: number) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  return (request: unknown, options: ClientCallOptions = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const { metadata, callOptions, signal } = prepareCall(options, defaultDeadlineMs);
      if (signal?.aborted) {
        reject(cancelledBeforeStart());
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = raw.makeUnaryRequest(method.path, serialize, method.responseDeserialize, request, metadata, callOptions, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(fromGrpcError(err));
        else resolve(response);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (options.onHeader) call.on('metadata', options.onHeader);
      const { onTrailer } = options;
      if (onTrailer) call.on('status', (status: StatusObject) => onTrailer(status.metadata));
    });
}

function serverStreamingMethod(raw: Client, method: AnyMethodDefinition, defaultDeadlineMs: number) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  // The call starts when iteration starts; leaving the loop early cancels it.
  return async function* streamingCall(request: unknown, options: ClientCallOptions = {}): AsyncGenerator<unknown, void, undefined> {
    const { metadata, callOptions, signal } = prepareCall(options, defaultDeadlineMs);
    if (signal?.aborted) throw cancelledBeforeStart();
    const call = raw.makeServerStreamRequest(method.path, serialize, method.responseDeserialize, request, metadata, callOptions);
    let finished = false;
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.onHeader) call.on('metadata', options.onHeader);
    const { onTrailer } = options;
    call.on('status', (status: StatusObject) => {
      finished = true;
      onTrailer?.(status.metadata);
    });
    try {
      for await (const message of call) yield message;
    } catch (err) {
      throw fromGrpcError(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) call.cancel();
    }
  };
}

/**
 * A promise-based client for the service of a generated client constructor, e.g.
 * `createGrpcClient(HealthClient, 'health:50051')`. Every call gets a deadline, carries
 * `x-request-id` when known, and fails with the server's {@link AppError} (kind, code, field
 * violations), ready for the gateway to map to HTTP.
 */
export function createGrpcClient<Def extends AnyServiceDefinition>(
  constructor: GrpcClientConstructor<Def>,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<Def> {
  const raw = new constructor(address, options.credentials ?? grpcCredentials.createInsecure(), options.channelOptions);
  const defaultDeadlineMs = options.defaultDeadlineMs ?? DEFAULT_CLIENT_DEADLINE_MS;
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(constructor.service)) {
    if (methodInfoOf(method).requestStream) continue; // Not supported; typed as never.
    methods[key] = method.responseStream
      ? serverStreamingMethod(raw, method, defaultDeadlineMs)
      : unaryMethod(raw, method, defaultDeadlineMs);
  }
  const client = Object.freeze(methods) as GrpcClient<Def>;
  rawClients.set(client, raw);
  return client;
}

/** Resolves once the client's channel is connected; rejects with UNAVAILABLE at `deadline`. */
export function waitForReady<Def extends AnyServiceDefinition>(client: GrpcClient<Def>, deadline: Date): Promise<void> {
  const raw = rawClientOf(client);
  return new Promise((resolve, reject) => {
    raw.waitForReady(deadline, (err) => {
      if (err) {
        reject(new AppError({ kind: 'UNAVAILABLE', code: 'UPSTREAM_UNAVAILABLE', message: 'Upstream service unavailable', cause: err }));
      } else {
        resolve();
      }
    });
  });
}

/** Closes the client's channel; calls in flight fail with CANCELLED or UNAVAILABLE. */
export function closeGrpcClient<Def extends AnyServiceDefinition>(client: GrpcClient<Def>): void {
  rawClientOf(client).close();
}
