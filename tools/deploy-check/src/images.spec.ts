import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findImageBuildProblems, projectRootOfBundle } from './images';
import { WORKSPACE_ROOT } from './workspace';

describe('findImageBuildProblems', () => {
  it('finds none for the services and the migrate tool of this repository', () => {
    expect(findImageBuildProblems(WORKSPACE_ROOT, 'auth', 'services/auth')).toEqual([]);
    expect(findImageBuildProblems(WORKSPACE_ROOT, 'migrate', 'tools/migrate')).toEqual([]);
  });

  it('names a service without a project', () => {
    expect(findImageBuildProblems(WORKSPACE_ROOT, 'billing', 'services/billing')).toEqual([
      'billing: no Nx project at services/billing (no project.json), so no image can be built',
    ]);
  });

  it('names a project that is misnamed, a library, without build target or without main.ts', () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'deploy-check-images-'));
    try {
      mkdirSync(path.join(workspace, 'services/org'), { recursive: true });
      writeFileSync(path.join(workspace, 'services/org/project.json'), JSON.stringify({ name: 'orgs', projectType: 'library', targets: {} }));
      expect(findImageBuildProblems(workspace, 'org', 'services/org')).toEqual([
        'org: services/org/project.json is named "orgs", so nx run org:build finds nothing',
        'org: services/org is not an application, so its build makes no main.js',
        'org: services/org/project.json has no build target',
        'org: services/org/src/main.ts, the bundle\'s entry, is missing',
      ]);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});

describe('projectRootOfBundle', () => {
  it('reads the project root out of a dist bundle path', () => {
    expect(projectRootOfBundle('dist/tools/migrate/main.js')).toBe('tools/migrate');
    expect(projectRootOfBundle('main.js')).toBeUndefined();
  });
});
