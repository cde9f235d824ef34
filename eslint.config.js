import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dashboard/dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', setImmediate: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // An empty catch must say why in a comment; an empty block with a comment is allowed.
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Only entry points hand the environment to app/config.ts; nothing else reads it.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through app/config.ts' }],
    },
  },
  {
    files: ['app/config.ts', 'app/main.ts', 'app/demo.ts', 'test/**', 'bench/**', 'soak/**', 'simulators/cli.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
