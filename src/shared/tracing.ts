import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Byline's spans, made at its own seams (request, GraphQL execution, DataLoader batch, SQL statement,
 * cache lookup) through `@opentelemetry/api` only. Until `useTracer` hands a tracer (the SDK started by
 * `byline serve` when OTLP export is configured, or a test's in-memory exporter), every function here
 * returns after one check: no span objects, no context switches.
 * Span and attribute names: https://opentelemetry.io/docs/specs/semconv/
 */
let tracer: Tracer | undefined;

/** The tracer spans are made with from now on; `undefined` turns tracing off. */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/** The request's own span, kept in the context so code under a batch span still finds it. */
const REQUEST_SPAN = createContextKey('byline.request-span');

/**
 * Runs `handle` under a server span for this request, a child of the caller's W3C `traceparent`
 * when it sends one (https://www.w3.org/TR/trace-context/). Ends when the response closes. The path
 * only: the query string may carry variables.
 */
export function traceRequest(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  if (tracer === undefined) return handle();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  const span = tracer.startSpan(
    path === '/graphql' ? `${method} /graphql` : method,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'url.path': path },
    },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span).setValue(REQUEST_SPAN, span), handle);
}

/** Names the current request's span after its GraphQL operation, once it is known. */
export function nameRequestOperation(operationName: string | undefined, operationType?: string): void {
  if (tracer === undefined) return;
  const span = context.active().getValue(REQUEST_SPAN) as Span | undefined;
  if (!span) return;
  if (operationName) span.setAttribute('graphql.operation.name', operationName);
  if (operationType) span.setAttribute('graphql.operation.type', operationType);
  if (operationName) span.updateName(`${operationType ?? 'operation'} ${operationName}`);
}

/** A span under the active one, ended by the caller; undefined while tracing is off. */
export function startSpan(name: string, attributes: Attributes): Span | undefined {
  return tracer?.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
}

/** Ends a span, marking it failed when `error` is given (its type only: messages may quote values). */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', errorType(error));
  }
  span.end();
}

/** One DataLoader batch: its statements are this span's children. */
export function traceBatch<T>(loader: string, size: number, run: () => PromiseLike<T>): PromiseLike<T> {
  if (tracer === undefined) return run();
  return tracer.startActiveSpan(
    `dataloader.batch ${loader}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { 'byline.loader.name': loader, 'byline.loader.batch_size': size },
    },
    (span) =>
      Promise.resolve(run()).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          endSpan(span, error);
          throw error;
        },
      ),
  );
}

/**
 * One SQL statement, recorded once it ran (where statements are counted, so spans and
 * `extensions.sql.statements` agree): its text, never its parameters.
 */
export function recordStatement(sqlText: string, durationMs: number, error?: unknown): void {
  if (tracer === undefined) return;
  const now = performance.now();
  const operation = /^\s*(\w+)/.exec(sqlText)?.[1]?.toLowerCase() ?? 'statement';
  const span = tracer.startSpan(`db ${operation}`, {
    kind: SpanKind.CLIENT,
    startTime: now - durationMs,
    attributes: {
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.query.text': sqlText,
    },
  });
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', errorType(error));
  }
  span.end(now);
}

/**
 * The active span's ids for a log line (`trace_id`, `span_id`), or an empty object: a new one each
 * time, since pino's mixin merges the line's own fields into it.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (tracer === undefined) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Adds `traceparent` (and `tracestate`) for the active span to an outgoing request's headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (tracer !== undefined) propagation.inject(context.active(), headers);
  return headers;
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : typeof error;
}
