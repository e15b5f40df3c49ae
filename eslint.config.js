// Type-aware lint: an unhandled promise in a bot handler is a lost photo. The import rules keep the
// dependency arrows of STYLE.md true: core/ knows no chat platform and no HTTP server; bots reach the album
// only through core's packet client.
import tseslint from 'typescript-eslint';

const chatAndHttp = ['telegraf', 'telegraf/*', 'discord.js', 'fastify', '@fastify/*'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'scratch/**', 'data/**', 'test-output/**', 'album/views/assets/**', 'bench/.cache/**', '**/*.js', '**/*.mjs', 'vitest.config.ts'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-unused-expressions': 'off',
      // A server handler that refers to the object the server is built into is read before it is assigned.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: chatAndHttp, message: 'core/ is chat- and HTTP-server-agnostic.' }, { group: ['**/album/**', '**/bots/**', '**/cli/**'], message: 'core/ depends on nothing above it.' }] }] },
  },
  {
    files: ['bots/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/album/**', 'fastify', '@fastify/*'], message: 'Bots reach the album only through core/share (its HTTP API).' }] }] },
  },
  {
    files: ['album/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/bots/**', '**/cli/**', 'telegraf', 'discord.js'], message: 'The album server knows no terminal.' }] }] },
  },
);
