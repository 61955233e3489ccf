import { AppError } from '@bulkhead/errors';
import type { AnyServiceDefinition, CallContext, ServiceImplementation } from '@bulkhead/grpc-kit';
import type { AuthContext } from '@bulkhead/tokens';

/**
 * An implementation of `definition` whose every method answers UNIMPLEMENTED: a fake spreads it
 * and overrides the methods its spec uses, so a call it did not expect fails loudly.
 */
export function unimplementedService<Def extends AnyServiceDefinition>(definition: Def): ServiceImplementation<Def, CallContext & AuthContext> {
  const implementation = Object.fromEntries(
    Object.keys(definition).map((method) => [
      method,
      async () => {
        throw new AppError({ kind: 'UNIMPLEMENTED', code: 'UNIMPLEMENTED', message: `${method} is not faked` });
      },
    ]),
  );
  // Every key of the definition has a handler; they all throw, so their response type is moot.
  return implementation as unknown as ServiceImplementation<Def, CallContext & AuthContext>;
}
