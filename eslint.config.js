// One linter: ESLint with typescript-eslint's recommended rules. (Biome was the first choice, but its
// per-platform binaries are not all on this workplace's registry, which breaks `npm ci`.)
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench-tmp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The dashboard's page runs in the browser (a plain script, no modules).
  { files: ['templates/dashboard/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
);
