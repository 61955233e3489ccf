import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProjectJson {
  name?: string;
  projectType?: string;
  targets?: Record<string, unknown>;
}

/**
 * Why the root Dockerfile cannot build the image of `project` from `projectRoot` (its
 * `--build-arg SERVICE=<project> --build-arg PROJECT_ROOT=<projectRoot>`), as sentences (empty =
 * it can): the build stage runs `nx run <project>:build`, which for an application bundles
 * `<projectRoot>/src/main.ts` into `dist/<projectRoot>/main.js`, the file the image runs.
 */
export function findImageBuildProblems(workspace: string, project: string, projectRoot: string): string[] {
  const file = path.join(workspace, projectRoot, 'project.json');
  if (!existsSync(file)) return [`${project}: no Nx project at ${projectRoot} (no project.json), so no image can be built`];
  const json = JSON.parse(readFileSync(file, 'utf8')) as ProjectJson;
  const problems: string[] = [];
  if (json.name !== project) problems.push(`${project}: ${projectRoot}/project.json is named "${json.name ?? ''}", so nx run ${project}:build finds nothing`);
  if (json.projectType !== 'application') problems.push(`${project}: ${projectRoot} is not an application, so its build makes no main.js`);
  if (json.targets?.['build'] === undefined) problems.push(`${project}: ${projectRoot}/project.json has no build target`);
  if (!existsSync(path.join(workspace, projectRoot, 'src', 'main.ts'))) problems.push(`${project}: ${projectRoot}/src/main.ts, the bundle's entry, is missing`);
  return problems;
}

/** The project root of a bundle path the image runs: `dist/tools/migrate/main.js` → `tools/migrate`. */
export function projectRootOfBundle(bundle: string): string | undefined {
  return /^dist\/(.+)\/main\.js$/.exec(bundle)?.[1];
}
