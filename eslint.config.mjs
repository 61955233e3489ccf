import nx from '@nx/eslint-plugin';

/**
 * Module boundaries, on two axes (see docs/adr/0001-workspace-and-boundaries.md):
 * - scope: a service sees only itself and `scope:shared`; shared code sees only shared code.
 * - type: apps sit on top; libraries never import apps; generated contracts import nothing.
 */
const SERVICES = ['auth', 'gateway', 'org', 'project', 'workflow', 'agent', 'audit'];

const depConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...SERVICES.map((svc) => ({
    sourceTag: `scope:${svc}`,
    onlyDependOnLibsWithTags: [`scope:${svc}`, 'scope:shared'],
  })),
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:proto', 'type:testing'] },
  { sourceTag: 'type:proto', onlyDependOnLibsWithTags: ['type:proto'] },
];

export default [
  {
    ignores: ['**/node_modules', '**/dist', '**/.nx', 'libs/contracts/src/generated/**', '**/*.cjs', '**/*.mjs'],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints,
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (see STYLE.md: no default exports).' },
        { selector: 'ExportAllDeclaration', message: 'Re-export names explicitly; no wildcard barrels.' },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts'],
    languageOptions: { globals: { jest: 'readonly', describe: 'readonly', it: 'readonly', expect: 'readonly', beforeAll: 'readonly', afterAll: 'readonly', beforeEach: 'readonly', afterEach: 'readonly' } },
  },
];
