// Builds one Nx project with esbuild: an application bundles `src/main.ts` into `main.js`, a
// library bundles `src/index.ts` into `index.js`. Workspace libraries (`@bulkhead/*`) are bundled
// in; npm packages stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const projectRoot = process.argv[2];
if (!projectRoot) {
  console.error('usage: build-project.mjs <projectRoot>');
  process.exit(2);
}
const project = JSON.parse(readFileSync(path.join(projectRoot, 'project.json'), 'utf8'));
const isApp = project.projectType === 'application';
const entry = path.join(projectRoot, 'src', isApp ? 'main.ts' : 'index.ts');

await build({
  entryPoints: [entry],
  outfile: path.join('dist', projectRoot, isApp ? 'main.js' : 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  packages: 'external',
  logLevel: 'warning',
});
