import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that spend a minute or more waiting (child processes, outages, Chromium, the rate limiter's
 * windows): started first, so that none of them begins late and ends the run alone.
 */
const SLOW_FIRST = [
  'tests/faults-under-load.test.ts',
  'tests/process-lifecycle.test.ts',
  'tests/protection.test.ts',
  'tests/ingest.test.ts',
  'tests/cli.test.ts',
  'tests/consistent-answers.test.ts',
  'tests/embed-browser.test.ts',
  'tests/response-cache.test.ts',
];

const rank = (spec: TestSpecification): number => {
  const index = SLOW_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
  return index === -1 ? SLOW_FIRST.length : index;
};

/** Vitest's order (failed first, then by the last run's durations or file size), the slow files ahead. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return sorted
      .map((spec, position) => ({ spec, position }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.position - b.position)
      .map(({ spec }) => spec);
  }
}
