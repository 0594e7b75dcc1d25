/**
 * The SQL floor: a bare node:http + pg server, one hand-written statement per request (prepared),
 * answering `GET /<scenario>?arg=<value>` with `{"data": …}`, the same JSON Byline returns.
 * `GET /__stats` reports how many statements it ran. Env: DATABASE_URL, PORT, PUBLIC_URL, POOL_SIZE.
 */
import http from 'node:http';
import pg from 'pg';
import { floorParameters, floorQueries, type FloorScenario } from './sql-floor-queries.ts';

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'],
  max: Number(process.env['POOL_SIZE'] ?? 10),
  application_name: 'bench-sql-floor',
});
const publicUrl = process.env['PUBLIC_URL'] ?? 'http://localhost:4000';
let statements = 0;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://floor');
  const scenario = url.pathname.slice(1);
  if (scenario === '__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ statements }));
    return;
  }
  if (!(scenario in floorQueries)) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown scenario"}');
    return;
  }
  statements += 1;
  pool
    .query<{ json: string }>({
      name: scenario,
      text: floorQueries[scenario as FloorScenario],
      values: floorParameters(scenario as FloorScenario, url.searchParams.get('arg') ?? '', publicUrl),
    })
    .then(
      (result) => {
        const body = `{"data":${result.rows[0]!.json}}`;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
      (error: Error) => {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: error.message }));
      },
    );
});

server.listen(Number(process.env['PORT'] ?? 4101), '127.0.0.1', () => {
  console.log(`sql floor ready on ${JSON.stringify(server.address())}`);
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end();
});
