// Shared jest setup: swc transpiles TypeScript (type checking is the `typecheck` target's job),
// and the tsconfig path aliases resolve to each library's source.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const root = __dirname;
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    path.join(root, target),
  ]),
);

const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' } }],
    // jose ships ES modules only: swc turns it into CommonJS for jest like our own sources.
    '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2024' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};

/**
 * Jest config for one Nx project: a `unit` project (`*.spec.ts`, stand-alone) and an
 * `integration` project (`*.int-spec.ts`, against the devstack's real services).
 */
function createJestConfig(rootDir) {
  return {
    reporters: ['default', path.join(root, 'tools/jest/summary-reporter.cjs')],
    projects: [
      { ...base, displayName: 'unit', rootDir, testMatch: ['<rootDir>/**/*.spec.ts'] },
      {
        ...base,
        displayName: 'integration',
        rootDir,
        testMatch: ['<rootDir>/**/*.int-spec.ts'],
        setupFilesAfterEnv: [path.join(root, 'tools/jest/integration.setup.cjs')],
      },
    ],
  };
}

module.exports = { createJestConfig };
