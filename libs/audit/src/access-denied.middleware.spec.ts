import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY } from '@bulkhead/contracts';
import { AppError, notFound } from '@bulkhead/errors';
import type { CallContext, MethodInfo } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import type { AuthContext, Principal } from '@bulkhead/tokens';
import { Metadata } from '@grpc/grpc-js';
import { createAccessDeniedAuditMiddleware, requestedResourceOf } from './access-denied.middleware';
import { FORWARDED_BY_METADATA_KEY } from './call-origin';
import type { AuditEventInput } from './record-audit-event';

const method: MethodInfo = {
  path: '/bulkhead.project.v1.ProjectService/GetProject',
  service: 'bulkhead.project.v1.ProjectService',
  name: 'GetProject',
  requestStream: false,
  responseStream: false,
};

const principal = (type: Principal['type']): Principal => ({
  type,
  subject: '0190f5a4-0000-7000-8000-000000000001',
  tenantId: '0190f5a4-0000-7000-8000-0000000000aa',
  role: 'member',
  sessionId: 's',
  scopes: [],
  tokenId: 't',
  expiresAt: new Date(Date.now() + 60_000),
});

const denied = () => new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'no' });

async function run(error: Error | undefined, options: { who?: Principal | undefined; fromEdge?: boolean; failRecord?: boolean } = {}) {
  const recorded: Array<{ tenantId: string; input: AuditEventInput }> = [];
  const failures: string[] = [];
  const middleware = createAccessDeniedAuditMiddleware({
    record: async (tenantId, input) => {
      if (options.failRecord) throw new Error('outbox down');
      recorded.push({ tenantId, input });
    },
    logger: { warn: (fields: { rpc: string }) => failures.push(fields.rpc) } as unknown as Pick<Logger, 'warn'>,
  });
  const metadata = new Metadata();
  metadata.set(CLIENT_IP_METADATA_KEY, '203.0.113.9');
  metadata.set(CLIENT_USER_AGENT_METADATA_KEY, 'curl/8');
  if (!(options.fromEdge ?? true)) metadata.set(FORWARDED_BY_METADATA_KEY, 'org');
  const ctx = { method, metadata, requestId: 'req-1', principal: 'who' in options ? options.who : principal('user') } as unknown as CallContext & AuthContext;
  // eslint-disable-next-line require-yield -- a unary chain yields nothing: its response is the generator's return value.
  const next = async function* (): AsyncGenerator<string, string, undefined> {
    if (error !== undefined) throw error;
    return 'reply';
  };
  const steps = middleware<{ id: string }, string>({ method, request: { id: '0190f5a4-0000-7000-8000-0000000000bb' }, next }, ctx);
  const outcome = await steps.next().then(
    (step) => step.value,
    (err: unknown) => err,
  );
  return { recorded, failures, outcome };
}

describe('access.denied middleware', () => {
  it('records a 403 answered to a user once, in the caller’s tenant, and rethrows the refusal unchanged', async () => {
    const error = denied();
    const { recorded, outcome } = await run(error);
    expect(outcome).toBe(error);
    expect(recorded).toEqual([
      {
        tenantId: principal('user').tenantId,
        input: {
          actor: { type: 'user', id: principal('user').subject },
          requestId: 'req-1',
          ip: '203.0.113.9',
          userAgent: 'curl/8',
          action: 'access.denied',
          resource: { type: 'GetProject', id: '0190f5a4-0000-7000-8000-0000000000bb' },
          outcome: 'denied',
          metadata: { rpc: method.path, errorKind: 'PERMISSION_DENIED', errorCode: 'PERMISSION_DENIED' },
        },
      },
    ]);
  });

  it('records a 404 to an API key with the resource type from the error', async () => {
    const { recorded } = await run(notFound('Project'), { who: principal('apiKey') });
    expect(recorded[0]?.input).toMatchObject({ actor: { type: 'apiKey' }, resource: { type: 'project' }, metadata: { errorKind: 'NOT_FOUND' } });
  });

  it.each([
    ['a success', undefined, {}],
    ['another error kind', new AppError({ kind: 'INVALID_ARGUMENT', code: 'INVALID_ARGUMENT', message: 'bad' }), {}],
    ['an unauthenticated call', denied(), { who: undefined }],
    ['a service principal', denied(), { who: principal('service') }],
    ['a call a service made for its client', denied(), { fromEdge: false }],
  ])('records nothing for %s', async (_label, error, options) => {
    expect((await run(error, options)).recorded).toEqual([]);
  });

  it('still answers the refusal when the event cannot be written, and reports the failure', async () => {
    const error = denied();
    const { outcome, failures } = await run(error, { failRecord: true });
    expect(outcome).toBe(error);
    expect(failures).toEqual([method.path]);
  });

  it('names the requested resource from the first id field of the request', () => {
    expect(requestedResourceOf(method, { projectId: 'p', userId: 'u' }, denied())).toEqual({ type: 'GetProject', id: 'p' });
    expect(requestedResourceOf(method, {}, notFound('Member'))).toEqual({ type: 'member' });
  });
});
