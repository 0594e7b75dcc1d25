/**
 * The peer: PostGraphile 4 over the same database, its schema derived from the tables. Counts every
 * statement its pool runs (including its transaction and settings statements) for `GET /__stats`.
 * Env: DATABASE_URL, PORT, POOL_SIZE.
 */
import http from 'node:http';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import type * as PostGraphile from 'postgraphile';

// PostGraphile 4 needs graphql 15 while Byline uses 16; npm nests copies of 15 under several graphile
// packages and others resolve 16, so "another realm" errors follow. Send every `graphql` import of this
// process to the copy under postgraphile/.
const require = createRequire(import.meta.url);
const graphql15 = path.join(
  path.dirname(require.resolve('postgraphile/package.json')),
  'node_modules',
  'graphql',
);
type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolveFilename = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = (request, ...rest) =>
  resolveFilename(/^graphql(\/|$)/.test(request) ? request.replace(/^graphql/, graphql15) : request, ...rest);
const { postgraphile } = require('postgraphile') as typeof PostGraphile;

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'],
  max: Number(process.env['POOL_SIZE'] ?? 10),
  application_name: 'bench-postgraphile',
});
let statements = 0;
pool.on('connect', (client) => {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    statements += 1;
    return query(...args);
  };
});

const middleware = postgraphile(pool, 'public', {
  graphqlRoute: '/graphql',
  graphiql: false,
  disableQueryLog: true,
  dynamicJson: true,
  disableDefaultMutations: true,
  ignoreRBAC: false,
  enableQueryBatching: false,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
});

const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ statements }));
    return;
  }
  void middleware(req, res);
});

server.listen(Number(process.env['PORT'] ?? 4102), '127.0.0.1', () => {
  console.log(`postgraphile ready on ${JSON.stringify(server.address())}`);
});
process.once('SIGTERM', () => {
  server.close();
  void middleware.release().then(() => pool.end());
});
