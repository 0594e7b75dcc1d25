import { describe, expect, it } from 'vitest';
import { packageOf, summarizeProfile } from '../bench/profile.ts';

describe('summarizeProfile', () => {
  it('adds up self time per function and per package from the samples', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const summary = summarizeProfile({
      startTime: 0,
      endTime: 4000, // microseconds: 4 ms over 4 samples
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('execute', 'file:///x/node_modules/graphql/execution/execute.js') },
        { id: 3, callFrame: frame('parseRow', 'file:///x/node_modules/pg/lib/result.js') },
      ],
      samples: [2, 2, 3, 1],
    });
    expect(summary.totalMs).toBe(4);
    expect(summary.byPackage).toEqual([
      { name: 'graphql', ms: 2, share: 0.5 },
      { name: '(idle)', ms: 1, share: 0.25 },
      { name: 'pg', ms: 1, share: 0.25 },
    ]);
    expect(summary.byFunction[0]).toMatchObject({ name: 'execute', ms: 2 });
  });

  it('names packages, scoped ones included, and Node internals', () => {
    expect(packageOf('file:///a/node_modules/@apollo/server/dist/esm/x.js')).toBe('@apollo/server');
    expect(packageOf('node:internal/streams/writable')).toBe('(node internals)');
    expect(packageOf('file:///work/byline/src/modules/loaders.ts')).toBe('byline src/');
  });
});
