import { AppError } from '@bulkhead/errors';

/**
 * The {@link AppError} `promise` rejects with (a gRPC client call's, for instance), to assert
 * its kind, code and field violations; fails when it resolves or rejects with anything else.
 */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected an AppError rejection, got ${String(outcome)}`);
  return outcome;
}
