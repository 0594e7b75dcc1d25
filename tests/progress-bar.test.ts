import { describe, expect, it } from 'vitest';
import { createProgressBar, formatDuration, formatProgress } from '../src/cli/progress-bar.ts';

describe('formatProgress', () => {
  it('shows the bar, count, percentage, rate and ETA', () => {
    expect(
      formatProgress(
        { done: 120, total: 400, elapsedMs: 2000 },
        { unit: 'files', width: 10, label: 'ingest' },
      ),
    ).toBe('ingest [███░░░░░░░]  120/400   30%  60.0 files/s  ETA 0:05');
  });

  it('says how long it took once done, and has no ETA before the first item', () => {
    expect(formatProgress({ done: 8, total: 8, elapsedMs: 65_000 }, { width: 4 })).toBe(
      '[████]  8/8  100%  0.1 items/s  done in 1:05',
    );
    expect(formatProgress({ done: 0, total: 8, elapsedMs: 0 }, { width: 4 })).toBe(
      '[░░░░]  0/8    0%  0.0 items/s  ETA -:--',
    );
  });

  it('rounds high rates and formats long durations with hours', () => {
    expect(formatProgress({ done: 50_000, total: 1_000_000, elapsedMs: 100_000 }, { width: 2 })).toBe(
      '[░░]  50000/1000000    5%  500 items/s  ETA 31:40',
    );
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(7)).toBe('0:07');
  });
});

describe('createProgressBar', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, writes, write: (chunk: string) => writes.push(chunk) > 0 };
  };

  it('writes nothing at all when the stream is not a terminal', () => {
    const out = stream(false);
    const bar = createProgressBar(out, 3);
    bar.tick();
    bar.log('a failure');
    bar.tick(2);
    bar.finish();
    expect(out.writes).toEqual([]);
  });

  it('redraws in place at most every interval, always for the last item, and prints lines above itself', () => {
    const out = stream(true);
    let clock = 0;
    const bar = createProgressBar(out, 3, { width: 3, intervalMs: 100, now: () => clock });
    expect(out.writes).toEqual(['\r\x1b[2K[░░░]  0/3    0%  0.0 items/s  ETA -:--']);
    clock = 50;
    bar.tick(); // within the interval: no redraw
    expect(out.writes).toHaveLength(1);
    clock = 1000;
    bar.tick();
    expect(out.writes.at(-1)).toBe('\r\x1b[2K[██░]  2/3   66%  2.0 items/s  ETA 0:01');
    bar.log('c.json: $: expected JSON');
    expect(out.writes.slice(-2)).toEqual([
      '\r\x1b[2Kc.json: $: expected JSON\n',
      '\r\x1b[2K[██░]  2/3   66%  2.0 items/s  ETA 0:01',
    ]);
    clock = 1010;
    bar.tick(); // the last item always draws
    expect(out.writes.at(-1)).toBe('\r\x1b[2K[███]  3/3  100%  3.0 items/s  done in 0:01');
    bar.finish();
    expect(out.writes.at(-1)).toBe('\n');
  });
});
