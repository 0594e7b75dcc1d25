/**
 * The peer's current major: PostGraphile 5 (Grafast plans each operation once and runs it as one SQL
 * statement per level where it can) over the same database, with its recommended "amber" preset and
 * the V4 compatibility preset, GraphiQL, explain and mutations off. Counts every statement its pool runs for `GET /__stats`.
 * Env: DATABASE_URL, PORT, POOL_SIZE. Installed as the npm alias `postgraphile5` beside PostGraphile 4.
 */
import http from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile5';
import { PostGraphileAmberPreset } from 'postgraphile5/presets/amber';
import { makeV4Preset } from 'postgraphile5/presets/v4';
import { makePgService } from 'postgraphile5/adaptors/pg';
import { grafserv } from 'postgraphile5/grafserv/node';

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'],
  max: Number(process.env['POOL_SIZE'] ?? 10),
  application_name: 'bench-postgraphile5',
});
let statements = 0;
pool.on('connect', (client) => {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    statements += 1;
    return query(...args);
  };
});

const preset: GraphileConfig.Preset = {
  // The V4 preset gives the schema PostGraphile 4 derives (its names, ordering by any column, JSON as
  // JSON), so both answer the same operations; the options are the ones PostGraphile 4 runs with.
  extends: [
    PostGraphileAmberPreset,
    makeV4Preset({ dynamicJson: true, disableDefaultMutations: true, setofFunctionsContainNulls: false }),
  ],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false, maxRequestLength: 100_000 },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();
// Built before listening: the bench waits for /__stats, and requests before the schema exists fail.
await pgl.getSchema();

const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ statements }));
    return;
  }
  handler(req, res);
});

server.listen(Number(process.env['PORT'] ?? 4103), '127.0.0.1', () => {
  console.log(`postgraphile 5 ready on ${JSON.stringify(server.address())}`);
});
process.once('SIGTERM', () => {
  server.close();
  void serv
    .release()
    .then(() => pgl.release())
    .then(() => pool.end());
});
