// Lint: typed rules everywhere, and determinism rules inside workflow code.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.gantry/', 'dist/', 'eslint.config.js', 'bin/gantry'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      // a promise returned from inside try/finally escapes the finally: await it there
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    // Workflow code is replayed: no Node builtins, no I/O, no wall clock beyond the workflow's own.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins,
          patterns: [
            {
              group: ['../activities/*', '../activities'],
              allowTypeImports: true,
              message: 'import activities as types only: call them through proxyActivities',
            },
            {
              group: ['undici', 'execa', 'pino', 'fastify', 'openai', '../gateway/*', '../hosts/*', '../adapters/*'],
              allowTypeImports: true,
              message: 'no I/O in workflow code',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() in a loop' },
      ],
    },
  },
);
