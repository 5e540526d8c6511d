// ESLint flat config: the recommended JavaScript and typescript-eslint rules over the code we
// write (src/, scripts/, test/, examples/, the rollup configs). Formatting is prettier's job
// (.prettierrc.json), so no stylistic rules here. `npm run lint` runs both.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      'node_modules/',
      '.tmp/',
      'runs/',
      'out/',
      'data/',
      'test/fixtures/',
      'examples/models/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // The library runs in browsers, workers and Node; scripts and tests in Node and (through the
    // test harness) in headless Chromium pages.
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker, ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberately unused (placeholders in destructuring and callbacks).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
