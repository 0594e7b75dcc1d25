import { expect, it } from 'vitest';
import { ArticlePageDocument } from '../src/generated/operations.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './helpers/gateway.ts';
import { runOperation } from './helpers/operations.ts';
import { useGateway } from './helpers/use-gateway.ts';

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';

/** Prometheus text format, as `name{labels}` → value (https://prometheus.io/docs/instrumenting/exposition_formats/). */
async function scrape(gateway: TestGateway): Promise<Map<string, number>> {
  const response = await fetch(`${gateway.origin}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** How far each sample moved between two scrapes; samples that did not move are left out. */
function moved(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [key, value] of after) {
    const change = value - (before.get(key) ?? 0);
    if (change !== 0) delta.set(key, change);
  }
  return delta;
}

const sqlStatements = (response: GraphQLResponse<unknown>) =>
  (response.body.extensions?.['sql'] as { statements: number }).statements;

describeEachEngine('GET /metrics', (engine) => {
  const gateway = useGateway(engine, { demo: true });

  it('counts exactly the queries made between two scrapes: by operation and outcome, with their SQL', async () => {
    const before = await scrape(gateway);
    const responses = [
      await runOperation(gateway, ArticlePageDocument, { slug: SLUG }),
      await runOperation(gateway, ArticlePageDocument, { slug: SLUG }),
      await gateway.graphql(
        'query ThreeArticles { articles(first: 3) { nodes { tags { slug } quotes { text } } } }',
      ),
      await gateway.graphql('query Broken { article(slug: "x") { noSuchField } }'),
      await gateway.graphql('{ sections { name } }'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 200]);
    const delta = moved(before, await scrape(gateway));
    expect(responses[3]!.body.errors![0]!.extensions!['code']).toBe('GRAPHQL_VALIDATION_FAILED');

    expect(delta.get('byline_graphql_requests_total{operation="ArticlePage",outcome="success"}')).toBe(2);
    expect(delta.get('byline_graphql_requests_total{operation="ThreeArticles",outcome="success"}')).toBe(1);
    expect(delta.get('byline_graphql_requests_total{operation="Broken",outcome="error"}')).toBe(1);
    expect(delta.get('byline_graphql_requests_total{operation="(anonymous)",outcome="success"}')).toBe(1);
    const requestCounters = [...delta].filter(([key]) => key.startsWith('byline_graphql_requests_total'));
    expect(requestCounters.reduce((sum, [, value]) => sum + value, 0)).toBe(5);
    expect(delta.get('byline_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(delta.get('byline_graphql_request_duration_seconds_count{operation="ArticlePage"}')).toBe(2);
    expect(
      delta.get('byline_graphql_request_duration_seconds_bucket{le="+Inf",operation="ArticlePage"}'),
    ).toBe(2);

    // The same statements the responses report in extensions.sql, no more (the scrapes run none).
    const statements = responses.reduce((sum, response) => sum + sqlStatements(response), 0);
    expect(statements).toBeGreaterThanOrEqual(4);
    expect(delta.get('byline_sql_statements_total')).toBe(statements);
    expect(delta.get('byline_sql_statements_per_request_count')).toBe(5);
    expect(delta.get('byline_sql_statements_per_request_sum')).toBe(statements);
    expect(delta.get('byline_sql_duration_seconds_per_request_count')).toBe(5);

    // Batches: each ArticlePage's article comes with its parts, quotes and links (one articleLookup
    // batch of one key each), ThreeArticles' page with its articles' tags and quotes (one articlePage
    // batch): the children's loaders are primed and never batch.
    expect(delta.get('byline_dataloader_batch_size_count{loader="articleLookup"}')).toBe(2);
    expect(delta.get('byline_dataloader_batch_size_sum{loader="articleLookup"}')).toBe(2);
    expect(delta.get('byline_dataloader_batch_size_bucket{le="1",loader="articleLookup"}')).toBe(2);
    expect(delta.get('byline_dataloader_batch_size_count{loader="articlePage"}')).toBe(1);
    expect(delta.get('byline_dataloader_batch_size_count{loader="quotesByArticle"}') ?? 0).toBe(0);
    expect(delta.get('byline_dataloader_batch_size_count{loader="articleParts"}') ?? 0).toBe(0);
  });

  it('reports the connection pool', async () => {
    const samples = await scrape(gateway);
    const max = samples.get('byline_db_pool_max');
    if (engine.name === 'postgres') {
      expect(max).toBe(10);
      expect(samples.get('byline_db_pool_in_use')! + samples.get('byline_db_pool_idle')!).toBeGreaterThan(0);
    } else {
      expect(max).toBe(0);
    }
    expect(samples.get('byline_db_pool_waiting')).toBe(0);
  });

  it('counts the rate-limit rejections and (on Postgres) response-cache lookups of real requests', async () => {
    // A gateway of its own: a limit of 2 a minute, and the response cache, which runs on Postgres only.
    const limited = await startTestGateway(gateway.database, {
      env: {
        BYLINE_RATE_LIMIT_PER_MINUTE: '2',
        ...(gateway.database.url ? { DATABASE_URL: gateway.database.url } : {}),
      },
    });
    try {
      const url = `${limited.origin}/graphql?${new URLSearchParams({
        query: 'query Headline($slug: String!) { article(slug: $slug) { headline } }',
        variables: JSON.stringify({ slug: SLUG }),
      })}`;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 429]);
      const samples = await scrape(limited);
      expect(samples.get('byline_rate_limit_rejections_total{limit="per-ip"}')).toBe(1);
      const lookups = (result: string) =>
        samples.get(`byline_cache_lookups_total{cache="response",result="${result}"}`);
      if (engine.name === 'postgres') {
        // The first answer is computed and stored, the second served from the cache.
        expect(lookups('miss')).toBeGreaterThanOrEqual(1);
        expect(lookups('hit')).toBeGreaterThanOrEqual(1);
      } else {
        expect(lookups('miss')).toBeUndefined();
        expect(lookups('hit')).toBeUndefined();
      }
    } finally {
      await limited.close();
    }
  });

  it('keeps each gateway in a registry of its own', async () => {
    const other = await startTestGateway(gateway.database);
    try {
      const samples = await scrape(other);
      expect([...samples.keys()].some((key) => key.startsWith('byline_cache_lookups_total'))).toBe(false);
      expect([...samples.keys()].some((key) => key.startsWith('byline_graphql_requests_total'))).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('is not served when BYLINE_METRICS=false', async () => {
    const off = await startTestGateway(gateway.database, { env: { BYLINE_METRICS: 'false' } });
    try {
      expect((await fetch(`${off.origin}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
