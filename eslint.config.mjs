import nx from '@nx/eslint-plugin';

/**
 * Module boundaries, on two axes (see docs/adr/0001-workspace-and-boundaries.md):
 * - scope: a service sees only itself and `scope:shared`; shared code sees only shared code.
 * - type: apps sit on top; libraries never import apps; generated contracts import nothing.
 */
const SERVICES = ['auth', 'gateway', 'org', 'project', 'workflow', 'agent', 'audit'];

const TYPE_RULES = {
  'type:app': ['type:feature', 'type:data-access', 'type:util', 'type:proto'],
  'type:tool': ['type:data-access', 'type:util', 'type:proto', 'type:testing'],
  'type:feature': ['type:feature', 'type:data-access', 'type:util', 'type:proto'],
  'type:data-access': ['type:data-access', 'type:util', 'type:proto'],
  'type:util': ['type:util', 'type:proto'],
  'type:testing': ['type:util', 'type:proto', 'type:testing'],
  'type:proto': ['type:proto'],
};

/** The constraints; `forTests` also lets specs use the testkit, which production code may not. */
function depConstraints({ forTests }) {
  return [
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    ...SERVICES.map((svc) => ({
      sourceTag: `scope:${svc}`,
      onlyDependOnLibsWithTags: [`scope:${svc}`, 'scope:shared'],
    })),
    { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
    ...Object.entries(TYPE_RULES).map(([sourceTag, allowed]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: forTests ? [...new Set([...allowed, 'type:testing'])] : allowed,
    })),
  ];
}

const boundaries = (forTests) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], banTransitiveDependencies: false, depConstraints: depConstraints({ forTests }) },
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
      '@nx/enforce-module-boundaries': boundaries(false),
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
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
    languageOptions: { globals: { jest: 'readonly', describe: 'readonly', it: 'readonly', expect: 'readonly', beforeAll: 'readonly', afterAll: 'readonly', beforeEach: 'readonly', afterEach: 'readonly' } },
  },
];
