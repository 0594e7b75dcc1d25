import { performance } from 'node:perf_hooks';

export interface StatusSample<T> {
  /** performance.now() when the probe finished. */
  readonly at: number;
  readonly value: T;
}

/** A probe run over and over in the background, with every result kept and timed. */
export interface StatusWatch<T> {
  readonly samples: readonly StatusSample<T>[];
  /** The first sample at or after `from` that satisfies `test`. */
  firstAfter(from: number, test: (value: T) => boolean): StatusSample<T> | undefined;
  /** Stops probing; resolves once the probe in flight is done. */
  stop(): Promise<void>;
}

/**
 * Runs `probe` back to back, `intervalMs` apart, until stopped. A probe that throws records
 * `onError`'s value: a probe must bound its own time (timeouts) so the watch never stalls.
 */
export function watchStatus<T>(probe: () => Promise<T>, intervalMs: number, onError: T): StatusWatch<T> {
  const samples: StatusSample<T>[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const value = await probe().catch(() => onError);
      samples.push({ at: performance.now(), value });
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    samples,
    firstAfter: (from, test) => samples.find((sample) => sample.at >= from && test(sample.value)),
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}
