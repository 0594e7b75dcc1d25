import { readdirSync, readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';

import { describe, expect, it } from 'vitest';
import {
  ArticlePageDocument,
  PersonPageDocument,
  SectionFrontDocument,
  type ArticlePageQuery,
} from '../src/generated/operations.ts';
import { buildCurrentSchema } from '../src/graphql/schema-snapshot.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { runOperation } from './helpers/operations.ts';
import { useGateway } from './helpers/use-gateway.ts';

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';
const operationsDir = new URL('../operations/examples/', import.meta.url);

describe('operations/examples', () => {
  const schema = buildCurrentSchema();
  const files = readdirSync(operationsDir);

  it('holds the article page, section front and person page operations, each valid against the schema', () => {
    const operations = files.filter((file) => file.endsWith('.graphql'));
    expect(operations).toEqual(
      expect.arrayContaining(['article-page.graphql', 'section-front.graphql', 'person-page.graphql']),
    );
    for (const file of operations) {
      const errors = validate(schema, parse(readFileSync(new URL(file, operationsDir), 'utf8')));
      expect(errors.map((error) => `${file}: ${error.message}`)).toEqual([]);
    }
  });

  it('gives each example variables that parse as a JSON object', () => {
    for (const file of files.filter((name) => name.endsWith('.variables.json'))) {
      const variables: unknown = JSON.parse(readFileSync(new URL(file, operationsDir), 'utf8'));
      expect(typeof variables, file).toBe('object');
      expect(files, file).toContain(file.replace('.variables.json', '.graphql'));
    }
  });
});

describeEachEngine('the example operations, typed from the schema', (engine) => {
  const gateway = useGateway(engine, { demo: true });

  it('ArticlePage renders the reference article: headline, section, body blocks and quoted speakers', async () => {
    const { body } = await runOperation(gateway, ArticlePageDocument, { slug: SLUG });
    expect(body.errors).toBeUndefined();
    const article: NonNullable<ArticlePageQuery['article']> = body.data!.article!;
    expect(article.headline).toBe('Russia-North Korea Pact Major Loss For US Allies in Region');
    expect(article.url).toBe(`${TEST_PUBLIC_URL}/articles/${SLUG}`);
    expect(article.section).toEqual({ slug: 'analysis', name: 'Analysis' });
    // Anonymous callers keep the body; only partner keys without the `body` right lose it.
    expect(article.body).not.toBeNull();
    const paragraphs = article.body!.flatMap((block) =>
      block.__typename === 'ParagraphBlock' ? [block.text] : [],
    );
    expect(paragraphs).toHaveLength(13);
    const speakers = article.quotes.map((quote) =>
      quote.speaker?.__typename === 'Person' || quote.speaker?.__typename === 'Organization'
        ? quote.speaker.slug
        : null,
    );
    expect(speakers[1]).toBe('south-korean-foreign-ministry');
  });

  it('ArticlePage gives null, not an error, for an unknown slug', async () => {
    const { body } = await runOperation(gateway, ArticlePageDocument, { slug: 'no-such-article' });
    expect(body.errors).toBeUndefined();
    expect(body.data!.article).toBeNull();
  });

  it('SectionFront lists the section newest first and pages on with the end cursor', async () => {
    const first = await runOperation(gateway, SectionFrontDocument, { slug: 'analysis', first: 1 });
    const section = first.body.data!.section!;
    expect(section.name).toBe('Analysis');
    expect(section.articles.nodes).toHaveLength(1);
    expect(section.articles.totalCount).toBeGreaterThan(1);
    expect(section.articles.pageInfo.hasNextPage).toBe(true);
    const next = await runOperation(gateway, SectionFrontDocument, {
      slug: 'analysis',
      first: 100,
      after: section.articles.pageInfo.endCursor,
    });
    const rest = next.body.data!.section!.articles.nodes;
    expect(rest).toHaveLength(section.articles.totalCount - 1);
    const dates = [section.articles.nodes[0]!, ...rest].map((article) => article.publishedAt ?? '');
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('PersonPage shows what the person said and where they are mentioned', async () => {
    const { body } = await runOperation(gateway, PersonPageDocument, { slug: 'gerald-horne', first: 10 });
    const person = body.data!.person!;
    expect(person.name).toBe('Gerald Horne');
    expect(person.quotes.nodes).toHaveLength(person.quotes.totalCount);
    // Five of the seven quotes in the reference article are his; other demo articles quote him too.
    expect(person.quotes.nodes.filter((quote) => quote.article.slug === SLUG)).toHaveLength(5);
    expect(person.mentionedIn.nodes.map((article) => article.slug)).toContain(SLUG);
  });
});
