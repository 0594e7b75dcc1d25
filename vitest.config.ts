import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './tests/helpers/slow-first-sequencer.ts';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql-js for our code and Apollo's: Vite would pick graphql's ESM build (`module`) for our
    // files while Node loads the CommonJS one for Apollo, and `instanceof GraphQLError` fails across the two.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    // Much of a test file's time is waiting (on child processes, PostgreSQL, Chromium, an outage), not
    // computing: vitest's default, one file per core less one, runs the suite one file at a time on a
    // 2-core machine. One file per core overlaps one file's waits with another's work, and leaves the
    // fault tests' timing the room a second suite beside this one needs; VITEST_MAX_WORKERS overrides.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: SlowFirstSequencer },
    // A worker runs file after file without re-importing Apollo, graphql and our sources each time
    // (a third of the suite's CPU). Safe because no test mocks modules, stubs globals or changes
    // process.env, and every gateway has its own metrics registry.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['tests/helpers/global-setup.ts'],
  },
});
