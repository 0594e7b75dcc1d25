/**
 * Runs one autocannon load in its own process (so the load generator never shares an event loop
 * with a server) and prints the summary as JSON on stdout. Closed loop: `connections` requests in
 * flight, each connection sending the next as soon as the previous answered.
 * Input: a JSON `LoadSpec` on stdin (megabytes with its request variants: too large for argv).
 */
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load-spec.ts';

let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const spec = JSON.parse(input) as LoadSpec;
let next = 0;
const result = await autocannon({
  url: spec.origin,
  connections: spec.connections,
  duration: spec.durationSeconds,
  timeout: 10,
  requests: [
    {
      // The variants are drawn up front (seeded, Zipf-popular); connections walk through them in turn.
      setupRequest: (request) => ({ ...request, ...spec.variants[next++ % spec.variants.length]! }),
    },
  ],
});
const summary: LoadResult = {
  requestsPerSecond: result.requests.average,
  totalRequests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  bytesPerSecond: result.throughput.average,
};
process.stdout.write(JSON.stringify(summary));
