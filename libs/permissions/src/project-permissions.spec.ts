import { canInProject, ORG_ROLES, PROJECT_ROLES, requireProjectPermission, seesEveryProject } from './index';

const P = '0193a000-0000-7000-8000-000000000001';

describe('project permissions', () => {
  it('shows every project to owners, admins and auditors, and only their own to members and viewers', () => {
    expect(ORG_ROLES.filter((role) => seesEveryProject({ role }))).toEqual(['owner', 'admin', 'auditor']);
    expect(canInProject({ role: 'member' }, 'project.read', P)).toBe(false);
    expect(canInProject({ role: 'viewer', projectRole: 'viewer' }, 'project.read', P)).toBe(true);
  });

  it('lets a project editor edit but not delete or manage members of its project', () => {
    const editor = { role: 'member', projectRole: 'editor' };
    expect(canInProject(editor, 'project.update', P)).toBe(true);
    expect(canInProject(editor, 'project.delete', P)).toBe(false);
    expect(canInProject(editor, 'project.members.manage', P)).toBe(false);
  });

  it('answers NOT_FOUND to a caller who cannot see the project and PERMISSION_DENIED to one who can', () => {
    expect(() => requireProjectPermission({ role: 'member' }, 'project.update', P)).toThrow(expect.objectContaining({ kind: 'NOT_FOUND' }));
    expect(() => requireProjectPermission({ role: 'auditor' }, 'project.update', P)).toThrow(
      expect.objectContaining({ kind: 'PERMISSION_DENIED', details: { permission: 'project.update' } }),
    );
    expect(() => requireProjectPermission({ role: 'viewer', projectRole: 'viewer' }, 'project.delete', P)).toThrow(
      expect.objectContaining({ kind: 'PERMISSION_DENIED' }),
    );
  });

  it('gives a project admin everything on its project, whatever its org role', () => {
    for (const permission of ['project.read', 'project.update', 'project.delete', 'project.members.manage'] as const) {
      expect(canInProject({ role: 'viewer', projectRole: 'admin' }, permission, P)).toBe(true);
    }
    expect(PROJECT_ROLES).toEqual(['admin', 'editor', 'viewer']);
  });
});
