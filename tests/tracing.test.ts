import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startTracing, type Tracing } from '../src/observability/tracing.ts';
import { createLogger } from '../src/shared/logger.ts';
import { injectTraceHeaders, tracingEnabled } from '../src/shared/tracing.ts';
import { startBylineProcess } from './helpers/byline-process.ts';
import { describeEachEngine, describePostgres, pgliteEngine } from './helpers/engines.ts';
import { REFERENCE_SLUG } from './helpers/load-loop.ts';
import { useDatabase, useGateway } from './helpers/use-gateway.ts';
import { eventually } from './helpers/waiting.ts';

/** Until `check` holds, polled every 100 ms for at most `ms`. */
const waitFor = (check: () => boolean, ms: number, what: string) =>
  eventually(async () => (check() ? true : undefined), Math.ceil(ms / 100), what);

const ARTICLE_QUERY = `query ArticlePage($slug: String!) { article(slug: $slug) { slug headline
  section { slug } tags { slug } authors { name } quotes { text speakerName } } }`;

/** A caller's W3C trace context (https://www.w3.org/TR/trace-context/#traceparent-header), sampled. */
function callerContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

function logCapture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        callback();
      },
    }),
  );
  return { lines, logger };
}

describeEachEngine('tracing with an in-memory exporter', (engine) => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  beforeAll(async () => {
    tracing = await startTracing(loadConfig({}), { exporter });
  });
  afterAll(async () => {
    await tracing?.shutdown();
  });
  const { lines, logger } = logCapture();
  const gateway = useGateway(engine, {
    demo: true,
    logger,
    // The response cache (Postgres only) answers from Redis-less memory, keyed as in production.
    env: (database) => (database.url ? { DATABASE_URL: database.url } : {}),
  });

  /** The spans of one trace, once its request span has ended (after the answer reached the client). */
  async function spansOf(traceId: string): Promise<ReadableSpan[]> {
    const spans = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    await waitFor(() => spans().some((span) => span.kind === SpanKind.SERVER), 5000, 'the request span');
    return spans();
  }

  it('puts the request, its execution, loader batches and every statement under the caller’s traceparent', async () => {
    const caller = callerContext();
    const answer = await gateway.graphql(ARTICLE_QUERY, {
      variables: { slug: REFERENCE_SLUG },
      headers: { traceparent: caller.traceparent },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const statements = (answer.body.extensions?.['sql'] as { statements: number }).statements;
    expect(statements).toBeGreaterThan(0);

    const spans = await spansOf(caller.traceId);
    const request = spans.find((span) => span.kind === SpanKind.SERVER)!;
    expect(request.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(request.name).toBe('query ArticlePage');
    expect(request.attributes['graphql.operation.name']).toBe('ArticlePage');
    expect(request.attributes['http.response.status_code']).toBe(200);
    expect(request.attributes['url.path']).toBe('/graphql');

    const execute = spans.filter((span) => span.name === 'graphql.execute');
    expect(execute).toHaveLength(1);
    expect(execute[0]!.attributes['graphql.operation.type']).toBe('query');

    const sql = spans.filter((span) => span.attributes['db.system.name'] === 'postgresql');
    expect(sql).toHaveLength(statements);
    for (const span of sql) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(String(span.attributes['db.query.text'])).toMatch(/^\s*(select|with)\b/i);
      // The statement's text, never its parameters.
      expect(JSON.stringify(span.attributes)).not.toContain(REFERENCE_SLUG);
    }

    const batches = spans.filter((span) => span.name.startsWith('dataloader.batch '));
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.attributes['byline.loader.name']).toBe(batch.name.slice('dataloader.batch '.length));
      expect(batch.attributes['byline.loader.batch_size']).toBeGreaterThan(0);
    }
    // Statements run by a batch are its children; the rest hang under the request span.
    const ids = new Set(spans.map((span) => span.spanContext().spanId));
    for (const span of spans.filter((span) => span !== request)) {
      expect(ids.has(span.parentSpanContext!.spanId)).toBe(true);
    }
    const batchIds = new Set(batches.map((span) => span.spanContext().spanId));
    expect(sql.some((span) => batchIds.has(span.parentSpanContext!.spanId))).toBe(true);

    // The request's log line carries the trace.
    const requestId = answer.headers.get('x-request-id');
    await waitFor(() => lines.some((line) => line['requestId'] === requestId), 5000, 'the request log line');
    const line = lines.find((entry) => entry['requestId'] === requestId && entry['msg'] === 'request')!;
    expect(line['trace_id']).toBe(caller.traceId);
    expect(line['span_id']).toBe(request.spanContext().spanId);
  });

  it('starts a trace of its own for a request without traceparent', async () => {
    const before = new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId));
    const answer = await gateway.graphql('query Sections { sections { slug } }');
    expect(answer.status).toBe(200);
    await waitFor(
      () =>
        exporter
          .getFinishedSpans()
          .some((span) => span.kind === SpanKind.SERVER && !before.has(span.spanContext().traceId)),
      5000,
      'a new trace',
    );
    const root = exporter
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.SERVER && !before.has(span.spanContext().traceId))!;
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes['graphql.operation.name']).toBe('Sections');
  });

  it('adds traceparent for the active span to outgoing headers', async () => {
    const { trace, context } = await import('@opentelemetry/api');
    const { TracerProvider } = await import('@opentelemetry/sdk-trace');
    const span = new TracerProvider().getTracer('test').startSpan('outgoing');
    const headers = context.with(trace.setSpan(context.active(), span), () => injectTraceHeaders({}));
    span.end();
    expect(headers['traceparent']).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it.runIf(engine.name === 'postgres')(
    'traces the cache lookup: a miss, then a hit without SQL',
    async () => {
      const search = new URLSearchParams({
        query: ARTICLE_QUERY,
        variables: JSON.stringify({ slug: REFERENCE_SLUG }),
      });
      const get = async () => {
        const caller = callerContext();
        const response = await fetch(`${gateway.origin}/graphql?${search}`, {
          headers: { traceparent: caller.traceparent, 'apollo-require-preflight': 'true' },
        });
        expect(response.status).toBe(200);
        await response.text();
        return { cache: response.headers.get('x-cache'), spans: await spansOf(caller.traceId) };
      };
      const miss = await get();
      const hit = await get();
      expect(miss.cache).not.toBe('HIT');
      expect(hit.cache).toBe('HIT');
      const lookups = (spans: ReadableSpan[]) => spans.filter((span) => span.name === 'cache.lookup');
      expect(lookups(miss.spans).map((span) => span.attributes['byline.cache.hit'])).toEqual([false]);
      expect(lookups(hit.spans).map((span) => span.attributes['byline.cache.hit'])).toEqual([true]);
      expect(miss.spans.some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true);
      expect(hit.spans.some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(false);
      const hitRequest = hit.spans.find((span) => span.kind === SpanKind.SERVER)!;
      expect(hitRequest.attributes['graphql.operation.name']).toBe('ArticlePage');
    },
  );
});

describe('tracing off', () => {
  const { lines, logger } = logCapture();
  const gateway = useGateway(pgliteEngine, { demo: true, logger });

  it('starts nothing without an OTLP endpoint, and log lines carry no trace', async () => {
    expect(await startTracing(loadConfig({}))).toBeUndefined();
    expect(
      await startTracing(
        loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' }),
      ),
    ).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    const caller = callerContext();
    const answer = await gateway.graphql(ARTICLE_QUERY, {
      variables: { slug: REFERENCE_SLUG },
      headers: { traceparent: caller.traceparent },
    });
    expect(answer.status).toBe(200);
    const requestId = answer.headers.get('x-request-id');
    await waitFor(() => lines.some((line) => line['requestId'] === requestId), 5000, 'the request log line');
    expect(JSON.stringify(lines)).not.toContain(caller.traceId);
    expect(lines.some((line) => 'trace_id' in line)).toBe(false);
    expect(injectTraceHeaders({})).toEqual({});
  });

  it('refuses OTLP settings it cannot use, naming the variable', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: expected one of http\/protobuf, http\/json, got "grpc"/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});

describePostgres('byline serve exporting over OTLP', (engine) => {
  const fixture = useDatabase(engine, { demo: true });
  const received: { path: string; contentType: string; body: Buffer }[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type']),
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`sends the request's spans to OTEL_EXPORTER_OTLP_ENDPOINT (${protocol})`, async () => {
      const { port } = receiver.address() as AddressInfo;
      const child = await startBylineProcess({
        databaseUrl: fixture.database.url!,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: 'byline-under-test',
          LOG_LEVEL: 'info',
        },
        startTimeoutMs: 120_000,
      });
      try {
        const caller = callerContext();
        const response = await fetch(`${child.origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: caller.traceparent },
          body: JSON.stringify({ query: ARTICLE_QUERY, variables: { slug: REFERENCE_SLUG } }),
        });
        expect(response.status).toBe(200);
        await response.text();
        const mine = () =>
          received.filter((entry) =>
            protocol === 'http/json'
              ? entry.body.toString().includes(caller.traceId)
              : entry.body.includes(Buffer.from(caller.traceId, 'hex')),
          );
        // Batched: sent within the processor's delay (5 s), or at the latest when the process stops.
        await waitFor(() => mine().length > 0, 15_000, 'an OTLP export holding the trace');
        const exported = mine()[0]!;
        expect(exported.path).toBe('/v1/traces');
        expect(exported.contentType).toBe(
          protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
        );
        const text = exported.body.toString('latin1');
        for (const name of ['byline-under-test', 'query ArticlePage', 'graphql.execute', 'dataloader.batch'])
          expect(text).toContain(name);
        if (protocol === 'http/json') {
          const body = JSON.parse(exported.body.toString()) as {
            resourceSpans: {
              scopeSpans: { spans: { traceId: string; parentSpanId?: string; kind: number }[] }[];
            }[];
          };
          const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
          const server = spans.find((span) => span.traceId === caller.traceId && span.kind === 2);
          expect(server?.parentSpanId).toBe(caller.spanId);
        }
        const logged = child
          .logLines()
          .find((line) => line['msg'] === 'request' && line['trace_id'] === caller.traceId);
        expect(logged).toBeDefined();
      } finally {
        child.signal('SIGTERM');
        await child.exited;
      }
    }, 180_000);
  }
});
