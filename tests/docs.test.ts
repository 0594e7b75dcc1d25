import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReference } from '../src/config.ts';
import { generatedDocs } from '../src/docs/reference-docs.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

describe('the generated reference docs', () => {
  const docs = generatedDocs();

  for (const [file, expected] of Object.entries(docs)) {
    it(`${file} is current with its source (npm run docs rewrites it)`, () => {
      expect(read(file), `${file} is stale: run npm run docs`).toBe(expected);
    });
  }

  it('documents every setting with its default', () => {
    const page = docs['docs/configuration.md']!;
    for (const entry of configReference) expect(page).toContain(`| \`${entry.variable}\` |`);
    expect(page).toContain('| `BYLINE_PLAYGROUND` | on unless NODE_ENV=production |');
  });

  it('documents queries with their arguments and types with their fields, from the SDL descriptions', () => {
    const page = docs['docs/schema.md']!;
    expect(page).toMatch(/^\| `article` \| \[`Article`\]\(#article\) \| .+Arguments:<br>`id`: `ID` — /m);
    expect(page).toContain('### Article\n\nA story as published');
    expect(page).toContain('| `headline` | `String!` | The headline. |');
    expect(page).toMatch(/`first`: `Int` = `20` — /);
  });
});

describe('the docs folder', () => {
  it('has getting started, configuration, operations, schema and content format pages, linked from the README', () => {
    const readme = read('README.md');
    for (const page of [
      'getting-started.md',
      'schema.md',
      'configuration.md',
      'operations.md',
      'content-format.md',
    ]) {
      expect(read(`docs/${page}`).length).toBeGreaterThan(200);
      expect(readme).toContain(`(docs/${page})`);
    }
  });
});
