import { Metadata } from '@grpc/grpc-js';
import type { IdentifiedCallContext } from './call-context';
import { createDeadlineMiddleware } from './deadline.middleware';
import { createCapturingLogger } from './testing/echo-service.fixture';

const method = { path: '/t.v1.T/M', service: 't.v1.T', name: 'M', requestStream: false, responseStream: false };

function contextWith(deadline: Date | undefined): IdentifiedCallContext {
  return {
    method,
    metadata: new Metadata(),
    peer: 'test',
    signal: new AbortController().signal,
    deadline,
    requestId: 'req-1',
    logger: createCapturingLogger().logger,
    responseHeader: new Metadata(),
    responseTrailer: new Metadata(),
  };
}

describe('deadline middleware', () => {
  const middleware = createDeadlineMiddleware({ maxDeadlineMs: 1_000, maxStreamDeadlineMs: 5_000 });

  it('rejects a call with no time left without running the handler', async () => {
    const next = jest.fn();
    const steps = middleware({ method, request: {}, next }, contextWith(new Date(Date.now() - 1)));
    await expect(steps.next()).rejects.toMatchObject({ kind: 'DEADLINE_EXCEEDED' });
    expect(next).not.toHaveBeenCalled();
  });

  it('caps a late or missing client deadline at the server maximum', async () => {
    const seen: Date[] = [];
    // eslint-disable-next-line require-yield -- stands in for a unary handler, which returns its response.
    const next = async function* (_request: unknown, ctx: { deadline: Date }) {
      seen.push(ctx.deadline);
      return 'done';
    };
    const before = Date.now();
    await middleware({ method, request: {}, next }, contextWith(undefined)).next();
    await middleware({ method, request: {}, next }, contextWith(new Date(before + 60_000))).next();
    const early = new Date(before + 200);
    await middleware({ method, request: {}, next }, contextWith(early)).next();

    expect(seen[0]?.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(seen[1]?.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(seen[2]).toBe(early);
  });
});
