import { makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { createLogger, type Logger } from '@bulkhead/observability';
import type { GrpcClientConstructor } from '../client';

// A test-only service with JSON messages: the kit is message-format agnostic, and the specs
// need handlers shaped freely per test without a proto of their own.

export interface EchoRequest {
  text: string;
  times?: number;
}

export interface EchoResponse {
  text: string;
  requestId?: string;
  tenant?: string;
}

const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const decode = <T>(bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;

export const EchoService = {
  echo: {
    path: '/bulkhead.testing.v1.EchoService/Echo',
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: (value: EchoRequest): Buffer => encode(value),
    requestDeserialize: (bytes: Buffer): EchoRequest => decode<EchoRequest>(bytes),
    responseSerialize: (value: EchoResponse): Buffer => encode(value),
    responseDeserialize: (bytes: Buffer): EchoResponse => decode<EchoResponse>(bytes),
  },
  repeat: {
    path: '/bulkhead.testing.v1.EchoService/Repeat',
    requestStream: false as const,
    responseStream: true as const,
    requestSerialize: (value: EchoRequest): Buffer => encode(value),
    requestDeserialize: (bytes: Buffer): EchoRequest => decode<EchoRequest>(bytes),
    responseSerialize: (value: EchoResponse): Buffer => encode(value),
    responseDeserialize: (bytes: Buffer): EchoResponse => decode<EchoResponse>(bytes),
  },
};

/** What ts-proto generates for a real service: a client class that carries its definition. */
export const EchoClient = makeGenericClientConstructor(
  EchoService as unknown as ServiceDefinition,
  'bulkhead.testing.v1.EchoService',
) as unknown as GrpcClientConstructor<typeof EchoService>;

/** A logger whose JSON lines the test can read back. */
export function createCapturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'grpc-kit-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** A promise and the function that settles it: lets a test await a moment inside a handler. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
