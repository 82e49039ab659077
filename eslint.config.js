// Lint runs as part of `npm test`. It enforces what tsc does not: the layering of the code
// (docs/architecture.md, "Modules and their allowed imports"), no import cycles, and no
// promise left floating (an unhandled rejection in the controller's placement path used to
// crash it when a store write failed).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

/** The controller's core folders: everything a domain module may build on. */
const CORE = ['store', 'http', 'events', 'executors', 'cluster', 'scheduler', 'operations', 'logs', 'configs', 'instances', 'leadership'];

/** Who may not import whom. `target` files may not import from `from` (except `except`, relative to `from`). */
const LAYERS = [
  { target: './src/common', from: './src', except: ['./common'], message: 'common imports nothing above it' },
  { target: './src/api', from: './src', except: ['./api', './common'], message: 'api (the wire contract) imports only common' },
  { target: './src/controller', from: './src/executor', message: 'the controller and the executor never import each other' },
  { target: './src/executor', from: './src/controller', message: 'the controller and the executor never import each other' },
  { target: './src/controller', from: './src/cli', message: 'servers do not import the CLI' },
  { target: './src/executor', from: './src/cli', message: 'servers do not import the CLI' },
  { target: './src/cli/client', from: './src', except: ['./api', './common', './cli/client'], message: 'the client CLI speaks the API: it imports only api and common' },
  // Inside the controller: core folders never import the domain modules or the wiring above them.
  ...CORE.map((core) => ({
    target: `./src/controller/${core}`,
    from: './src/controller',
    except: [...CORE.map((c) => `./${c}`), './context.ts', './config.ts', './controller-module.ts'],
    message: 'core controller folders do not import domain modules (tasks, apps) or the wiring (controller.ts)',
  })),
  { target: './src/controller/store', from: './src/controller', except: ['./store'], message: 'the store is a leaf: it imports only api and common' },
  { target: './src/controller/tasks', from: './src/controller/apps', message: 'domain modules do not import each other (share through core folders)' },
  { target: './src/controller/apps', from: './src/controller/tasks', message: 'domain modules do not import each other (share through core folders)' },
  ...['tasks', 'apps'].flatMap((other) => [
    { target: './src/controller/localservices', from: `./src/controller/${other}`, message: 'domain modules do not import each other (share through core folders)' },
    { target: `./src/controller/${other}`, from: './src/controller/localservices', message: 'domain modules do not import each other (share through core folders)' },
  ]),
  { target: './src/controller/!(controller.ts)', from: './src/controller/controller.ts', message: 'nothing imports the wiring' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.corral/**', 'dist/**', 'src/web/static/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Type-aware rules: a promise is awaited, returned, or its rejection handled (`void` only
    // where the callee cannot reject).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
    // The dashboard's browser modules (plain ES modules, served as they are: docs/dashboard.md).
    files: ['src/web/static/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  // Executor layering: the persisted workload state (src/executor/state/) is a leaf. It may
  // import src/api, src/common, node built-ins and its own files, and nothing else of the
  // executor (runner/, agent/, drivers/, checks/, logs/), so what is on disk never depends on how
  // workloads are run. Scoped to the executor, beside the project-wide LAYERS above: written with
  // typescript-eslint's no-restricted-imports (it sees `import type` too), a rule of its own, so
  // it adds to import-x/no-restricted-paths for these files instead of replacing its zones (flat
  // config replaces a rule's options per rule name). See src/executor/README.md, "Layout".
  {
    files: ['src/executor/state/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^\\.\\./(?!\\.\\./)',
            message: 'src/executor/state is a leaf: it may not import other executor modules (runner/, agent/, drivers/ …); define what it persists in state/ instead.',
          },
          {
            regex: '^\\.\\./\\.\\./(?!api/|common/)',
            message: 'src/executor/state may import only src/api and src/common outside itself.',
          },
        ],
      }],
    },
  },
);
