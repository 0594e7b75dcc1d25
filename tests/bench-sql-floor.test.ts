import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSamplers, datasetShape, generateArticle, generateCatalog } from '../bench/dataset/generate.ts';
import { floorParameters, floorQueries, type FloorScenario } from '../bench/servers/sql-floor-queries.ts';
import { validateArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { describePostgres } from './helpers/engines.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const operation = (scenario: string) =>
  readFileSync(new URL(`../bench/operations/${scenario}.graphql`, import.meta.url), 'utf8');

// The floor is node:http + pg, so it is checked on Postgres only.
describePostgres('the benchmark SQL floor', (engine) => {
  const gateway = useGateway(engine, { demo: true });
  let pool: pg.Pool;
  beforeAll(async () => {
    const shape = datasetShape(40);
    const catalog = generateCatalog(shape, 1);
    const samplers = createSamplers(shape);
    for (let index = 0; index < 40; index++) {
      const validation = validateArticleDocument(generateArticle(shape, catalog, samplers, 1, index));
      if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
      await ingestArticle(gateway.db, validation.document);
    }
    pool = new pg.Pool({ connectionString: gateway.database.url!, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  async function compare(scenario: FloorScenario, argument: string) {
    const byline = await gateway.graphql(operation(scenario), { variables: { slug: argument } });
    expect(byline.body.errors).toBeUndefined();
    const floor = await pool.query<{ json: string }>(
      floorQueries[scenario],
      floorParameters(scenario, argument, TEST_PUBLIC_URL),
    );
    expect(JSON.parse(floor.rows[0]!.json)).toEqual(byline.body.data);
    return byline.body.data!;
  }

  const column = async (text: string) => (await pool.query<{ v: string }>(text)).rows.map((row) => row.v);

  it('answers every article page, drafts and embargoes included, with Byline’s exact JSON', async () => {
    const slugs = await column('select slug as v from articles order by id');
    expect(slugs.length).toBe(48);
    const answers = await Promise.all(slugs.map((slug) => compare('article-page', slug)));
    // Drafts and embargoed articles come back null from both; the rest with their content.
    expect(answers.filter((data) => data['article'] === null).length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((data) => data['article'] !== null).length).toBeGreaterThan(40);
  });

  it('answers every section front and the trivial query with Byline’s exact JSON', async () => {
    for (const slug of await column('select slug as v from sections')) await compare('section-front', slug);
    for (const slug of await column('select slug as v from articles')) await compare('trivial', slug);
    await compare('trivial', 'no-such-article');
  });

  it('answers every person page with Byline’s exact JSON', async () => {
    const slugs = await column('select slug as v from people');
    for (const slug of slugs) await compare('person-page', slug);
    await compare('person-page', 'nobody');
  });
});
