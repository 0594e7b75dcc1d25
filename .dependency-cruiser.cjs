/**
 * Byline's layers, top to bottom; each imports only from layers below it (docs/architecture.md).
 * Checked by `npm run lint:deps`, part of `npm test`.
 */
const layers = [
  ['cli', '^src/cli/'],
  ['http', '^src/http/'],
  ['cache', '^src/cache/'],
  ['graphql', '^src/graphql/'],
  ['protection', '^src/protection/'],
  ['observability', '^src/observability/'],
  ['import', '^src/import/'],
  ['ingest', '^src/ingest/'],
  ['modules', '^src/(modules|generated)/'],
  ['db', '^src/db/'],
  ['shared', '^src/(shared/|config\\.ts$)'],
];

const upward = layers.slice(1).map(([name, path], index) => ({
  name: `${name}-imports-upward`,
  comment: `${name} may import only from the layers below it: ${layers
    .slice(index + 2)
    .map(([below]) => below)
    .join(', ')}`,
  severity: 'error',
  from: { path },
  to: { path: layers.slice(0, index + 1).map(([, above]) => above) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'module-only-through-its-index',
      comment:
        "Outside a module (other layers, scripts, tests), only its index.ts: the rest of a module (resolvers, repository, loaders, mappers) is its own. The files at src/modules/*.ts are the modules' shared frame (list, context, loaders, parents).",
      severity: 'error',
      from: { path: '^(src|scripts|bin|tests)/', pathNot: ['^src/modules/[^/]+/', '^src/generated/'] },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'module-to-module-only-through-index',
      comment: 'A module imports another module only through its index.ts.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'generated-types-only-to-mappers',
      comment:
        'The generated resolver types name the rows modules map types to (codegen mappers), nothing else of a module.',
      severity: 'error',
      from: { path: '^src/generated/' },
      to: { path: '^src/modules/[^/]+/', pathNot: '\\.mappers\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle makes load order, and so initialisation, depend on who came first.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests-or-bench',
      comment: 'Runtime code never imports tests or the benchmark.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'migrations-frozen',
      comment: 'Migrations are frozen: they never import from src/.',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
