import type { CallContext, MethodInfo } from './call-context';

/** An empty context extension. */
export type NoExtension = Record<never, never>;

/** One call as a middleware sees it. */
export interface ServerMiddlewareCall<Req, Res, NextCtx> {
  readonly method: MethodInfo;
  readonly request: Req;
  /**
   * Runs the rest of the chain. Unary calls yield nothing and return the response; streaming
   * calls yield each response. Pass `{ ...ctx, yourField }` so earlier fields survive.
   */
  next(request: Req, ctx: NextCtx): AsyncGenerator<Res, Res | void, undefined>;
}

/** A middleware that receives a context of type `In` and calls the rest with `Out`. */
export type MiddlewareLink<In, Out> = <Req, Res>(
  call: ServerMiddlewareCall<Req, Res, Out>,
  ctx: In,
) => AsyncGenerator<Res, Res | void, undefined>;

/**
 * Server middleware, written as an async generator wrapping `call.next(...)`:
 *
 * ```ts
 * const tenant: ServerMiddleware<{ tenantId: string }> = async function* (call, ctx) {
 *   const tenantId = resolveTenant(ctx.metadata); // throws an AppError when it cannot
 *   return yield* call.next(call.request, { ...ctx, tenantId });
 * };
 * ```
 *
 * `Ext` is what it adds to the context; `Required` is what it needs earlier middleware to have
 * added. It runs after the kit's built-ins (request id, logging, error mapping, deadline), so
 * anything it throws is mapped to a gRPC status like a handler's error.
 */
export type ServerMiddleware<Ext extends object = NoExtension, Required extends object = NoExtension> = MiddlewareLink<
  CallContext & Required,
  CallContext & Required & Ext
>;

/** `first` runs before `second`; `second` may rely on what `first` added. */
export function composeServerMiddleware<
  Ext1 extends object,
  Ext2 extends object,
  Required extends object = NoExtension,
>(
  first: ServerMiddleware<Ext1, Required>,
  second: ServerMiddleware<Ext2, Required & Ext1>,
): ServerMiddleware<Ext1 & Ext2, Required> {
  return (call, ctx) =>
    first({ method: call.method, request: call.request, next: (request, nextCtx) => second({ ...call, request }, nextCtx) }, ctx);
}

/** The rest of a chain, called with a request and a context of type `Ctx`. */
export type NextHandler<Ctx> = (request: unknown, ctx: Ctx) => AsyncGenerator<unknown, unknown, undefined>;

/** Puts `link` in front of `next` for one method. */
export function bindLink<In, Out>(link: MiddlewareLink<In, Out>, method: MethodInfo, next: NextHandler<Out>): NextHandler<In> {
  return (request, ctx) => link<unknown, unknown>({ method, request, next }, ctx);
}
