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
  // The dependency direction (docs/architecture.md): cli -> sim/run -> {broker, workers} -> the rest of sim.
  layer(['sim/**'], ['broker', 'workers', 'cli'], 'sim/ is below the broker, the workers and the CLI; only sim/run starts them', ['sim/run/**']),
  layer(['sim/run/**', 'bench/**'], ['cli'], 'only cli/ imports cli/'),
  layer(['broker/**'], ['workers', 'cli', 'sim/run'], 'the broker and the device workers do not import each other, nor sim/run above them (they meet there); only cli/ imports cli/'),
  layer(['workers/**'], ['broker', 'cli', 'sim/run'], 'the broker and the device workers do not import each other, nor sim/run above them (they meet there); only cli/ imports cli/'),
);

/**
 * Forbids the files of a layer to import the named top-level directories. Relative imports only (the tree has no
 * path aliases), and no directory under those layers bears one of these names, so a `../broker/` is the top-level one.
 */
function layer(files, forbidden, message, ignores = []) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message }] }],
    },
  };
}
