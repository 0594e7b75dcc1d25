/** A one-line progress bar with rate and ETA on a TTY; silent when output is piped or logged. */
export interface Progress {
  tick(): void;
  done(): void;
}

export function formatProgress(done: number, total: number, elapsedMs: number, width = 30): string {
  const fraction = total === 0 ? 1 : done / total;
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const etaSeconds = rate > 0 ? Math.round((total - done) / rate) : undefined;
  const eta =
    etaSeconds === undefined
      ? '--'
      : `${Math.floor(etaSeconds / 60)}m${String(etaSeconds % 60).padStart(2, '0')}s`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(fraction * 100).toFixed(1)}% ${rate.toFixed(0)}/s ETA ${eta}`;
}

export function createProgress(total: number, stream: NodeJS.WriteStream): Progress {
  const started = performance.now();
  let done = 0;
  let lastDraw = 0;
  const draw = () => stream.write(`\r${formatProgress(done, total, performance.now() - started)}`);
  if (!stream.isTTY) return { tick: () => void (done += 1), done: () => undefined };
  return {
    tick() {
      done += 1;
      const now = performance.now();
      if (now - lastDraw > 200) {
        lastDraw = now;
        draw();
      }
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}
