import { ESLint } from 'eslint';
import { createProjectGraphAsync } from 'nx/src/devkit-exports';
import path from 'node:path';

const workspace = path.resolve(__dirname, '../../..');

/**
 * The boundaries of ADR 0001, checked by linting deliberately wrong imports as if they were
 * files of real projects. Each row must fail with the module-boundaries rule; the control rows
 * must pass, so the test cannot succeed by linting nothing.
 */
const cases: { name: string; file: string; code: string; allowed: boolean }[] = [
  {
    name: 'a service importing another service',
    file: 'services/gateway/src/wrong-import.ts',
    code: "import { startAuthServer } from '../../auth/src/auth.server';\nexport const x = startAuthServer;\n",
    allowed: false,
  },
  {
    name: "a service's spec importing another service",
    file: 'services/gateway/src/wrong-import.spec.ts',
    code: "import { startAuthServer } from '../../auth/src/auth.server';\nexport const x = startAuthServer;\n",
    allowed: false,
  },
  {
    name: 'a service importing shared libraries (allowed)',
    file: 'services/gateway/src/right-import.ts',
    code: "import { AppError } from '@bulkhead/errors';\nimport { createGrpcServer } from '@bulkhead/grpc-kit';\nexport const x = [AppError, createGrpcServer];\n",
    allowed: true,
  },
  {
    name: 'production code of a library importing the testkit',
    file: 'libs/config/src/wrong-import.ts',
    code: "import { loadDevstackEnv } from '@bulkhead/testkit';\nexport const x = loadDevstackEnv;\n",
    allowed: false,
  },
  {
    name: 'generated contracts importing a utility library',
    file: 'libs/contracts/src/wrong-import.ts',
    code: "import { AppError } from '@bulkhead/errors';\nexport const x = AppError;\n",
    allowed: false,
  },
  {
    name: 'a library reaching into another project by relative path',
    file: 'libs/config/src/wrong-import.ts',
    code: "import { AppError } from '../../errors/src/app-error';\nexport const x = AppError;\n",
    allowed: false,
  },
  {
    name: "a library's spec using the testkit (allowed)",
    file: 'libs/config/src/fixture.spec.ts',
    code: "import { loadDevstackEnv } from '@bulkhead/testkit';\nexport const x = loadDevstackEnv;\n",
    allowed: true,
  },
  {
    name: 'a utility library importing another utility library (allowed)',
    file: 'libs/config/src/right-import.ts',
    code: "import { AppError } from '@bulkhead/errors';\nexport const x = AppError;\n",
    allowed: true,
  },
];

describe('module boundaries', () => {
  let eslint: ESLint;

  // Nx reads every project of the workspace: seconds, and more than jest's 5 s default when the
  // whole suite shares the machine.
  beforeAll(async () => {
    await createProjectGraphAsync({ exitOnError: false });
    eslint = new ESLint({ cwd: workspace });
  }, 60_000);

  it.each(cases)('$name: allowed=$allowed', async ({ file, code, allowed }) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(workspace, file) });
    const boundaryErrors = (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries');
    if (allowed) expect(boundaryErrors).toEqual([]);
    else expect(boundaryErrors.length).toBeGreaterThan(0);
  });
});
