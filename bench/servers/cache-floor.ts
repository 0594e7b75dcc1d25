/**
 * The cache floor: a bare `node:http` server answering every GET from a Map of URL → bytes held in
 * memory, with the headers a cache hit carries. What serving a stored answer can cost at best on this
 * machine; Byline's cache hits are measured against it. The bench loads it with `PUT /__load` (the
 * exact bytes Byline answered for each URL) before the load runs.
 * Env: PORT.
 */
import http from 'node:http';

const answers = new Map<string, { body: Buffer; etag: string }>();

const server = http.createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'PUT' && url === '/__load') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entries = JSON.parse(Buffer.concat(chunks).toString()) as [string, string, string][];
      for (const [path, body, etag] of entries) answers.set(path, { body: Buffer.from(body), etag });
      res.writeHead(204).end();
    });
    return;
  }
  if (url === '/__stats' || url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"statements":0}');
    return;
  }
  const answer = answers.get(url);
  if (!answer) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not loaded"}');
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': answer.body.length,
    etag: answer.etag,
    'cache-control': 'public, max-age=60',
    vary: 'Origin, Authorization, X-Api-Key',
    'x-cache': 'HIT',
  });
  res.end(answer.body);
});

server.listen(Number(process.env['PORT'] ?? 4104), '127.0.0.1', () => {
  console.log(`cache floor ready on ${JSON.stringify(server.address())}`);
});
process.once('SIGTERM', () => server.close());
