// Lint: typescript-eslint's recommended rules, plus the import direction of
// docs/architecture.md: a stage never imports a later stage.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Stages in order; each may import only the stages listed for it (and npm packages). */
const allowed = {
  core: [],
  config: ['core'],
  analysis: ['core'],
  ingest: ['core', 'analysis'],
  index: ['core', 'analysis'],
  models: ['core', 'config'],
  retrieve: ['core', 'config', 'analysis', 'index', 'models'],
  generate: ['core', 'config', 'analysis', 'models'],
  methods: ['core', 'config', 'analysis', 'index', 'models', 'retrieve', 'generate'],
  train: ['core', 'config', 'analysis', 'index', 'models', 'retrieve', 'generate', 'methods'],
  engine: ['core', 'config', 'analysis', 'ingest', 'index', 'models', 'retrieve', 'generate', 'methods'],
  eval: ['core', 'config', 'analysis', 'ingest', 'index', 'models', 'retrieve', 'generate', 'methods', 'train', 'engine'],
  // The two faces: the server never imports the CLI (shared JSON shapes live in engine/json.ts);
  // the CLI may start the server (`openbook serve`).
  server: ['core', 'config', 'analysis', 'ingest', 'index', 'models', 'retrieve', 'generate', 'methods', 'train', 'engine', 'eval'],
  cli: ['core', 'config', 'analysis', 'ingest', 'index', 'models', 'retrieve', 'generate', 'methods', 'train', 'engine', 'eval', 'server'],
};
const stages = Object.keys(allowed);

const directionRules = Object.entries(allowed).map(([stage, ok]) => ({
  files: [`src/${stage}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: stages
          .filter((s) => s !== stage && !ok.includes(s))
          .map((s) => ({ group: [`**/${s}/*`, `../${s}`, `../../${s}`], message: `src/${stage} may not import src/${s} (see docs/architecture.md)` })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/out/**', 'src/server/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  ...directionRules,
);
