// Type-aware lint: an unhandled promise in a bot handler is a lost photo. The import rules keep the
// dependency arrows of STYLE.md true: core/ knows no chat platform and no HTTP server; bots reach the album
// only through core's packet client; bots reach records only through core's services. No import cycle anywhere
// (import-x/no-cycle): a cycle is two units that cannot be read, tested or replaced apart.
import importX from 'eslint-plugin-import-x';
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
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: chatAndHttp, message: 'core/ is chat- and HTTP-server-agnostic.' }, { group: ['**/album/**', '**/bots/**', '**/cli/**'], message: 'core/ depends on nothing above it.' }] }] },
  },
  {
    files: ['bots/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/album/**', 'fastify', '@fastify/*'], message: 'Bots reach the album only through core/share (its HTTP API).' },
            { group: ['**/core/records', '**/core/records/**'], message: 'Bots reach records only through core services (core/membership, core/terminal.ts).' },
          ],
        },
      ],
      // One concern per file: an adapter file past 300 lines is doing the core's work.
      'max-lines': ['error', { max: 300 }],
    },
  },
  {
    files: ['album/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/bots/**', '**/cli/**', '**/core/share/**', '**/core/contacts/**', '**/core/membership/**', 'telegraf', 'discord.js'], message: 'The album server knows no terminal: what both sides agree on is in core/wire.' },
          ],
        },
      ],
    },
  },
  {
    // The wire contract is a leaf, so that the album and the terminal can each import it alone.
    files: ['core/wire/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', './*/**'], message: 'core/wire imports nothing of the project.' }] }] },
  },
);
