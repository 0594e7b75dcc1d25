import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

const require = createRequire(import.meta.url);
const packageDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));

/** The example operations shipped with the repository: the same files the tests and the benchmark run. */
export const operationsDir = fileURLToPath(new URL('../../../operations/examples/', import.meta.url));

export interface ExampleOperation {
  /** File name without `.graphql`, e.g. `article-page`. */
  readonly name: string;
  readonly query: string;
  /** JSON text of the example variables (`<name>.variables.json`), when the file exists. */
  readonly variables?: string;
}

/** Every `*.graphql` in `dir`, in file-name order, each with its `*.variables.json` when present. */
export function readExampleOperations(dir: string = operationsDir): ExampleOperation[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.graphql'.length);
      const query = readFileSync(path.join(dir, file), 'utf8');
      const variablesFile = path.join(dir, `${name}.variables.json`);
      return existsSync(variablesFile)
        ? { name, query, variables: readFileSync(variablesFile, 'utf8').trim() }
        : { name, query };
    });
}

// Scripts and styles only from this origin: the page must work with the network unplugged.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const ASSETS = '/playground/assets';

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function renderPlaygroundPage(options: { endpoint: string; operations: readonly ExampleOperation[] }) {
  const config = {
    endpoint: options.endpoint,
    // Subscriptions go over WebSocket (graphql-ws) to the same path, on this page's host.
    subscriptionEndpoint: options.endpoint,
    tabs: options.operations.map((operation) => ({
      query: operation.query,
      ...(operation.variables === undefined ? {} : { variables: operation.variables }),
    })),
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Byline playground</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${ASSETS}/graphiql.min.css" />
    <link rel="stylesheet" href="${ASSETS}/playground.css" />
  </head>
  <body>
    <header class="byline-toolbar">
      <strong>Byline playground</strong>
      <label>API key <input id="byline-api-key" type="password" autocomplete="off" spellcheck="false" placeholder="sent as x-api-key" /></label>
    </header>
    <main id="graphiql">Loading the playground…</main>
    <script id="byline-playground-config" type="application/json">${scriptJson(config)}</script>
    <script src="${ASSETS}/react.production.min.js"></script>
    <script src="${ASSETS}/react-dom.production.min.js"></script>
    <script src="${ASSETS}/graphiql.min.js"></script>
    <script src="${ASSETS}/graphql-ws.min.js"></script>
    <script src="${ASSETS}/playground.js"></script>
  </body>
</html>
`;
}

/**
 * GET /playground: GraphiQL from the installed graphiql, react, react-dom and graphql-ws packages
 * (their UMD builds), with the example operations as tabs; subscriptions run over WebSocket on this
 * origin. Nothing is loaded from another origin.
 */
export function createPlaygroundRouter(options: { endpoint?: string; operationsDir?: string } = {}) {
  const router = express.Router();
  const html = renderPlaygroundPage({
    endpoint: options.endpoint ?? '/graphql',
    operations: readExampleOperations(options.operationsDir),
  });
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files: Record<string, string> = {
    'react.production.min.js': path.join(packageDir('react'), 'umd/react.production.min.js'),
    'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
    'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
    'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
    'graphql-ws.min.js': path.join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js'),
    'playground.js': path.join(here, 'playground-client.js'),
    'playground.css': path.join(here, 'playground.css'),
  };
  for (const [name, file] of Object.entries(files)) {
    router.get(`${ASSETS}/${name}`, (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=3600');
      res.sendFile(file);
    });
  }
  const page: RequestHandler = (_req, res) => {
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(html);
  };
  router.get('/playground', page);
  return { router, page };
}

/**
 * Mounts GET /playground and, when `htmlAtEndpoint` (development), answers a browser's GET /graphql
 * (Accept: text/html) with the same page; API clients asking for JSON are passed through.
 */
export function mountPlayground(app: express.Express, options: { htmlAtEndpoint: boolean }): void {
  const { router, page } = createPlaygroundRouter();
  app.use(router);
  if (options.htmlAtEndpoint) {
    app.get('/graphql', (req, res, next) => {
      if (req.accepts(['application/json', 'text/html']) === 'text/html') page(req, res, next);
      else next();
    });
  }
}
