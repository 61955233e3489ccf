import { can, KEY_GRANTS, keyRefusalOf, PERMISSIONS, requirePermission, requireProjectPermission, scopeProblem, SCOPES, seesEveryProject } from './index';

const PROJECT = '0193a000-0000-7000-8000-000000000001';
const OTHER_PROJECT = '0193a000-0000-7000-8000-000000000002';
const adminKey = { role: 'admin', type: 'apiKey', scopes: [] as string[] };

describe('API keys in the permission table', () => {
  it('names a catalogue scope for every permission a key may hold', () => {
    for (const grant of Object.values(KEY_GRANTS)) {
      if (grant !== 'never' && grant.scope !== 'none') expect(SCOPES).toContain(grant.scope);
    }
  });

  it('never lets a key manage keys, whatever its role and scopes', () => {
    expect(can({ ...adminKey }, 'apiKeys.manage')).toBe(false);
    expect(() => requirePermission(adminKey, 'apiKeys.manage')).toThrow(expect.objectContaining({ kind: 'PERMISSION_DENIED', code: 'API_KEY_NOT_ALLOWED' }));
    expect(can({ role: 'admin', type: 'user' }, 'apiKeys.manage')).toBe(true);
  });

  it('holds a scoped key to its scopes, naming the scope it lacks', () => {
    const reader = { ...adminKey, scopes: ['projects:read'] };
    expect(() => requireProjectPermission(reader, 'project.read', PROJECT)).not.toThrow();
    expect(() => requireProjectPermission(reader, 'project.update', PROJECT)).toThrow(
      expect.objectContaining({ kind: 'PERMISSION_DENIED', code: 'API_KEY_SCOPE_MISSING', details: { permission: 'project.update', scope: 'projects:write' } }),
    );
    expect(can(reader, 'projects.create')).toBe(false);
    expect(can(reader, 'org.read')).toBe(true);
  });

  it('never gives a key more than its role, whatever its scopes', () => {
    const viewer = { role: 'viewer', type: 'apiKey', scopes: ['agents:write'] };
    expect(() => requirePermission(viewer, 'agents.manage')).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });

  it('keeps a project-bound key inside its project: others are NOT_FOUND, org actions PERMISSION_DENIED', () => {
    const bound = { ...adminKey, projectId: PROJECT };
    expect(() => requireProjectPermission(bound, 'project.update', PROJECT)).not.toThrow();
    expect(() => requireProjectPermission(bound, 'project.read', OTHER_PROJECT)).toThrow(expect.objectContaining({ kind: 'NOT_FOUND' }));
    expect(() => requirePermission(bound, 'projects.create')).toThrow(expect.objectContaining({ code: 'API_KEY_PROJECT_BOUND', details: { permission: 'projects.create', projectId: PROJECT } }));
    expect(seesEveryProject(bound)).toBe(false);
    expect(seesEveryProject(adminKey)).toBe(true);
    const orgWide = (Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]).filter((p) => keyRefusalOf(bound, p) === undefined);
    expect(orgWide.sort()).toEqual(['agents.invoke', 'agents.read', 'members.lookup', 'org.read', 'org.resolveSlug']);
  });

  it('leaves users and services to their role', () => {
    expect(keyRefusalOf({ role: 'admin', type: 'user', scopes: ['projects:read'] }, 'project.delete', OTHER_PROJECT)).toBeUndefined();
    expect(keyRefusalOf({ role: 'service', type: 'service' }, 'agents.invoke')).toBeUndefined();
  });

  it.each([
    ['projects:read', undefined],
    ['projects', 'is not resource:action'],
    ['Projects:Read', 'is not resource:action'],
    ['billing:read', 'unknown resource "billing"'],
    ['projects:control', 'unknown action of projects'],
  ])('checks %s against the catalogue', (scope, problem) => {
    if (problem === undefined) expect(scopeProblem(scope)).toBeUndefined();
    else expect(scopeProblem(scope)).toContain(problem);
  });
});
