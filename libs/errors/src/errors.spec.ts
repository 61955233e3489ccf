import {
  AppError,
  ERROR_KINDS,
  GRPC_STATUS,
  grpcStatusOf,
  httpStatusOf,
  invalidArgument,
  isAppError,
  kindOfGrpcStatus,
  notFound,
  toAppError,
  toProblem,
} from './index';

describe('AppError', () => {
  it('refuses a code that is not SCREAMING_SNAKE_CASE', () => {
    expect(() => new AppError({ kind: 'NOT_FOUND', code: 'projectNotFound', message: 'x' })).toThrow(
      /SCREAMING_SNAKE_CASE/,
    );
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('connection refused 10.0.0.7:5432');
    const err = new AppError({ kind: 'UNAVAILABLE', code: 'SHARD_UNAVAILABLE', message: 'Shard unavailable', cause });
    expect(err.cause).toBe(cause);
    expect(isAppError(err)).toBe(true);
  });

  it('turns an unknown error into a generic INTERNAL without its message', () => {
    const err = toAppError(new Error('relation "projects" does not exist'));
    expect(err.kind).toBe('INTERNAL');
    expect(err.message).toBe('Internal error');
    expect(toAppError(err)).toBe(err);
  });

  it('names the resource type only for not found', () => {
    const err = notFound('Project');
    expect(err.code).toBe('PROJECT_NOT_FOUND');
    expect(err.message).toBe('Project not found');
    expect(notFound('API key').code).toBe('API_KEY_NOT_FOUND');
  });
});

describe('gRPC mapping', () => {
  it('maps every kind to a gRPC status and plain kinds back to themselves', () => {
    for (const kind of ERROR_KINDS) {
      const status = grpcStatusOf(kind);
      expect(status).toBeGreaterThan(0);
      if (kind in GRPC_STATUS) expect(kindOfGrpcStatus(status)).toBe(kind);
    }
  });

  it('maps refinements onto their gRPC code', () => {
    expect(grpcStatusOf('QUOTA_EXCEEDED')).toBe(GRPC_STATUS.RESOURCE_EXHAUSTED);
    expect(grpcStatusOf('RATE_LIMITED')).toBe(GRPC_STATUS.RESOURCE_EXHAUSTED);
    expect(grpcStatusOf('UNPROCESSABLE')).toBe(GRPC_STATUS.INVALID_ARGUMENT);
    expect(grpcStatusOf('METHOD_NOT_ALLOWED')).toBe(GRPC_STATUS.UNIMPLEMENTED);
    expect(grpcStatusOf('UNSUPPORTED_MEDIA_TYPE')).toBe(GRPC_STATUS.INVALID_ARGUMENT);
  });

  it('treats UNKNOWN and DATA_LOSS from a foreign peer as INTERNAL', () => {
    expect(kindOfGrpcStatus(GRPC_STATUS.UNKNOWN)).toBe('INTERNAL');
    expect(kindOfGrpcStatus(GRPC_STATUS.DATA_LOSS)).toBe('INTERNAL');
  });
});

describe('problem+json', () => {
  it('answers the status the design table gives each kind', () => {
    expect(httpStatusOf('INVALID_ARGUMENT')).toBe(400);
    expect(httpStatusOf('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusOf('QUOTA_EXCEEDED')).toBe(402);
    expect(httpStatusOf('PERMISSION_DENIED')).toBe(403);
    expect(httpStatusOf('NOT_FOUND')).toBe(404);
    expect(httpStatusOf('FAILED_PRECONDITION')).toBe(409);
    expect(httpStatusOf('METHOD_NOT_ALLOWED')).toBe(405);
    expect(httpStatusOf('NOT_ACCEPTABLE')).toBe(406);
    expect(httpStatusOf('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusOf('URI_TOO_LONG')).toBe(414);
    expect(httpStatusOf('UNSUPPORTED_MEDIA_TYPE')).toBe(415);
    expect(httpStatusOf('UNPROCESSABLE')).toBe(422);
    expect(httpStatusOf('RATE_LIMITED')).toBe(429);
    expect(httpStatusOf('UNAVAILABLE')).toBe(503);
  });

  it('names each invalid field', () => {
    const problem = toProblem(invalidArgument([{ field: 'email', description: 'must be an email address' }]), {
      requestId: 'req-1',
    });
    expect(problem).toEqual({
      type: 'urn:bulkhead:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid request: email: must be an email address',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'email', message: 'must be an email address' }],
    });
  });

  it('carries details as extension members without letting them override the core fields', () => {
    const problem = toProblem(
      new AppError({
        kind: 'QUOTA_EXCEEDED',
        code: 'PLAN_LIMIT_REACHED',
        message: 'The basic plan allows 3 projects',
        details: { limit: 'projects', plan: 'basic', status: '200' },
      }),
    );
    expect(problem.status).toBe(402);
    expect(problem['limit']).toBe('projects');
    expect(problem['plan']).toBe('basic');
  });

  it('leaks nothing of an unknown error', () => {
    const problem = toProblem(new Error('password=hunter2'));
    expect(problem).toEqual({
      type: 'urn:bulkhead:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Internal error',
      code: 'INTERNAL',
    });
  });
});
