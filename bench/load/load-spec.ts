/** One HTTP request of a scenario, as the load worker sends it. */
export interface RequestVariant {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface LoadSpec {
  readonly origin: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly variants: readonly RequestVariant[];
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly totalRequests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number;
  readonly bytesPerSecond: number;
}
