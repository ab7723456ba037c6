// One linter for the whole tree: typescript-eslint's recommended rules on top of ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The syntax-error fixture is a renewal module that must not compile (test/policy).
  { ignores: ['dist/**', 'results/**', 'node_modules/**', 'test/fixtures/policies/syntax-error.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // The CLI layer and the benchmarks are the only places that talk to the terminal.
    files: ['cli/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
