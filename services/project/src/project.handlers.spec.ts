import { Metadata } from '@grpc/grpc-js';
import { AppError } from '@bulkhead/errors';
import type { CallContext } from '@bulkhead/grpc-kit';
import type { AuthContext, Principal } from '@bulkhead/tokens';
import type { Caller } from './caller';
import type { MembersService } from './members/members.service';
import { createProjectHandlers, MAX_SETTINGS_BYTES } from './project.handlers';
import type { ProjectRecord } from './projects/projects.repository';
import type { ProjectsService } from './projects/projects.service';

const principal: Principal = {
  type: 'user',
  subject: '0190f5a4-0000-7000-8000-000000000001',
  tenantId: '0190f5a4-0000-7000-8000-0000000000aa',
  role: 'owner',
  sessionId: 's',
  scopes: [],
  tokenId: 't',
  expiresAt: new Date(Date.now() + 60_000),
};

const record: ProjectRecord = {
  id: '0190f5a4-0000-7000-8000-0000000000bb',
  name: 'Apollo',
  description: '',
  settings: {},
  archived: false,
  createdBy: principal.subject,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
  sortKey: 'k',
};

function setup() {
  const calls: Array<{ caller: Caller; args: unknown[] }> = [];
  const record$ = async (caller: Caller, ...args: unknown[]) => {
    calls.push({ caller, args });
    return record;
  };
  const projects = { create: record$, get: record$, update: record$ } as unknown as ProjectsService;
  const members = {} as MembersService;
  const metadata = new Metadata();
  metadata.set('authorization', 'Bearer the-token');
  // Only the fields the handlers read: the call's metadata and the verified principal.
  const ctx = { metadata, principal } as unknown as CallContext & AuthContext;
  return { handlers: createProjectHandlers({ projects, members }), calls, ctx };
}

async function violations(promise: Promise<unknown>): Promise<string[]> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error('expected an AppError');
  expect(err.kind).toBe('INVALID_ARGUMENT');
  return err.fieldViolations.map((v) => v.field);
}

describe('project handlers', () => {
  it('trims the name, defaults settings and forwards the caller’s token to upstream calls', async () => {
    const { handlers, calls, ctx } = setup();
    const reply = await handlers.createProject({ name: '  Apollo ', description: 'd', settings: undefined }, ctx);
    expect(reply.project).toMatchObject({ id: record.id, createdAt: '2026-01-01T00:00:00.000Z' });
    expect(calls[0]?.args).toEqual([{ name: 'Apollo', description: 'd', settings: {} }]);
    expect(calls[0]?.caller.principal).toBe(principal);
    expect(calls[0]?.caller.upstream.metadata?.get('authorization')).toEqual(['Bearer the-token']);
  });

  it('refuses oversized settings and names, naming each field at once', async () => {
    const { handlers, ctx, calls } = setup();
    const settings = { blob: 'x'.repeat(MAX_SETTINGS_BYTES) };
    expect(await violations(handlers.createProject({ name: 'x'.repeat(101), description: 'x'.repeat(2001), settings }, ctx))).toEqual([
      'name',
      'description',
      'settings',
    ]);
    expect(calls).toHaveLength(0);
  });

  it('passes only the fields that are set to an update', async () => {
    const { handlers, calls, ctx } = setup();
    await handlers.updateProject({ id: record.id, archived: true }, ctx);
    expect(calls[0]?.args).toEqual([record.id, { archived: true }]);
    expect(await violations(handlers.updateProject({ id: 'nope', name: '' }, ctx))).toEqual(['id', 'name']);
  });

  it('refuses a project role that is not one', async () => {
    const { handlers, ctx } = setup();
    const request = { projectId: record.id, userId: principal.subject, role: 'owner' };
    expect(await violations(handlers.setProjectMember(request, ctx))).toEqual(['role']);
  });
});
