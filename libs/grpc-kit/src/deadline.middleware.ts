import { AppError } from '@bulkhead/errors';
import type { CallContext, IdentifiedCallContext } from './call-context';
import type { MiddlewareLink } from './middleware';

/** Server-side limits on how long a call may run, whatever deadline the client sent. */
export interface DeadlineLimits {
  /** Longest a unary call may run; also its deadline when the client sent none. */
  maxDeadlineMs: number;
  /** The same for server-streaming calls (exports, health Watch), which legitimately run long. */
  maxStreamDeadlineMs: number;
}

/** The error of a call whose deadline passed. */
export function deadlineExceeded(): AppError {
  return new AppError({ kind: 'DEADLINE_EXCEEDED', code: 'DEADLINE_EXCEEDED', message: 'Deadline exceeded' });
}

/**
 * Iterates `source` until it ends or `signal` aborts, whichever comes first. On abort it throws
 * the signal's reason at once: a handler that ignores its signal must not hold the call open.
 */
async function* untilAborted<T, R>(source: AsyncGenerator<T, R, undefined>, signal: AbortSignal): AsyncGenerator<T, R, undefined> {
  let rejectAborted: (reason: unknown) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(() => undefined); // Observed through Promise.race; never unhandled.
  const onAbort = (): void => rejectAborted(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    for (;;) {
      const step = await Promise.race([source.next(), aborted]);
      if (step.done) return step.value;
      yield step.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // After an abort the source may still be running: ask it to stop without waiting for it.
    if (signal.aborted) source.return(undefined as R).catch(() => undefined);
    else await source.return(undefined as R);
  }
}

/**
 * Fixes the call's deadline (the client's, capped by the server maximum), rejects calls with no
 * time left, and aborts `ctx.signal` when the deadline passes; the call then fails with
 * DEADLINE_EXCEEDED even if the handler ignores the signal.
 */
export function createDeadlineMiddleware(limits: DeadlineLimits): MiddlewareLink<IdentifiedCallContext, CallContext> {
  return async function* deadlineMiddleware(call, ctx) {
    const now = Date.now();
    const maxMs = call.method.responseStream ? limits.maxStreamDeadlineMs : limits.maxDeadlineMs;
    const capped = now + maxMs;
    const deadline = ctx.deadline && ctx.deadline.getTime() < capped ? ctx.deadline : new Date(capped);
    const remainingMs = deadline.getTime() - now;
    if (remainingMs <= 0) throw deadlineExceeded();

    // One controller aborted by the caller's signal (with its reason) or by the deadline: what
    // AbortSignal.any([ctx.signal, timeout]) gives, for a fraction of its cost (~20 µs per call on Node 20).
    const combined = new AbortController();
    const onCallerAbort = (): void => combined.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onCallerAbort();
    else ctx.signal.addEventListener('abort', onCallerAbort, { once: true });
    const timer = setTimeout(() => combined.abort(deadlineExceeded()), remainingMs);
    const { signal } = combined;
    try {
      return yield* untilAborted(call.next(call.request, { ...ctx, deadline, signal }), signal);
    } catch (err) {
      // Whatever a handler throws once its signal fired (an AbortError, typically) is the abort.
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onCallerAbort);
    }
  };
}
