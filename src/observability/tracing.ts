import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { tracesEndpoint, type Config } from '../config.ts';
import { useTracer } from '../shared/tracing.ts';

export interface Tracing {
  /** Where spans go: the OTLP URL, or `in-memory` for a given exporter. */
  readonly exportTo: string;
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes, then turns tracing off (spans are no longer made). */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for Byline's own spans (src/shared/tracing.ts): W3C trace context in and
 * out, spans kept when the caller's were sampled (or always, without a caller's), batched to the OTLP
 * endpoint. Without an endpoint (and without `exporter`, which tests pass) it starts nothing and
 * resolves undefined: tracing then costs one check per seam.
 */
export async function startTracing(
  config: Config,
  options: { readonly exporter?: SpanExporter } = {},
): Promise<Tracing | undefined> {
  const endpoint = tracesEndpoint(config);
  let processor: SpanProcessor;
  if (options.exporter) {
    processor = new SimpleSpanProcessor({ exporter: options.exporter });
  } else if (endpoint) {
    const { OTLPTraceExporter } =
      config.otelExporterOtlpProtocol === 'http/json'
        ? await import('@opentelemetry/exporter-trace-otlp-http')
        : await import('@opentelemetry/exporter-trace-otlp-proto');
    processor = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint.href }) });
  } else {
    return undefined;
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.otelServiceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  useTracer(provider.getTracer('byline'));
  return {
    exportTo: options.exporter ? 'in-memory' : endpoint!.href,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      useTracer(undefined);
      try {
        await provider.shutdown();
      } finally {
        context.disable();
        propagation.disable();
      }
    },
  };
}
