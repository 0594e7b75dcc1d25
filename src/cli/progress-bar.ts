/**
 * A one-line progress bar with rate and ETA for long CLI work (ingesting a directory, generating data).
 * Drawn only on a terminal: piped into a file or a CI log, it writes nothing.
 */

export interface ProgressState {
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
}

export interface ProgressFormat {
  /** What is counted, plural: `files`, `articles`. */
  readonly unit?: string;
  /** Width of the bar itself, in characters. */
  readonly width?: number;
  readonly label?: string;
}

/** `0:07`, `12:34`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `ingest [██████░░░░░░] 120/400  30%  85.2 files/s  ETA 0:03` */
export function formatProgress(state: ProgressState, format: ProgressFormat = {}): string {
  const { unit = 'items', width = 24, label } = format;
  const total = Math.max(0, state.total);
  const done = Math.min(Math.max(0, state.done), total);
  const ratio = total === 0 ? 1 : done / total;
  const filled = Math.round(ratio * width);
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const remaining = total - done;
  const eta = remaining === 0 ? formatDuration(0) : rate > 0 ? formatDuration(remaining / rate) : '-:--';
  const parts = [
    `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`,
    `${done}/${total}`,
    `${String(Math.floor(ratio * 100)).padStart(3)}%`,
    `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`,
    remaining === 0 ? `done in ${formatDuration(seconds)}` : `ETA ${eta}`,
  ];
  return `${label ? `${label} ` : ''}${parts.join('  ')}`;
}

export interface ProgressBar {
  /** Counts `n` more items done and redraws (at most every `intervalMs`). */
  tick(n?: number): void;
  /** Prints a line above the bar (a failure, say) without tearing it. */
  log(line: string): void;
  /** Draws the final state and moves to a new line. */
  finish(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): boolean;
}

export function createProgressBar(
  stream: ProgressStream,
  total: number,
  options: ProgressFormat & { intervalMs?: number; now?: () => number } = {},
): ProgressBar {
  if (!stream.isTTY) return { tick() {}, log() {}, finish() {} };
  const now = options.now ?? (() => performance.now());
  const started = now();
  const intervalMs = options.intervalMs ?? 100;
  let done = 0;
  let drawnAt = -Infinity;
  let finished = false;
  const draw = () => {
    drawnAt = now();
    // \r and "erase line" (ESC [2K): redraw in place.
    stream.write(`\r\x1b[2K${formatProgress({ done, total, elapsedMs: drawnAt - started }, options)}`);
  };
  draw();
  return {
    tick(n = 1) {
      done += n;
      if (done >= total || now() - drawnAt >= intervalMs) draw();
    },
    log(line) {
      stream.write(`\r\x1b[2K${line}\n`);
      if (!finished) draw();
    },
    finish() {
      if (finished) return;
      finished = true;
      draw();
      stream.write('\n');
    },
  };
}
