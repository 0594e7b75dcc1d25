import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../src/shared/logger.ts';
import { describePostgres } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

// The response cache needs Postgres (it listens for content changes); so does its fast lane.
describePostgres('the response cache fast lane (hits before Express)', (postgres) => {
  const logLines: Record<string, unknown>[] = [];
  const article = makeArticle();
  const url = () =>
    `${gateway.origin}/graphql?${new URLSearchParams({
      query: 'query Headline($slug: String!) { article(slug: $slug) { headline } }',
      variables: JSON.stringify({ slug: article.slug }),
    })}`;
  const get = (headers: Record<string, string> = {}) =>
    fetch(url(), { headers: { 'apollo-require-preflight': 'true', ...headers } });

  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const gateway = useGateway(postgres, {
    articles: [article],
    env: (database) => ({ DATABASE_URL: database.url!, BYLINE_RATE_LIMIT_PER_MINUTE: '4' }),
    logger: createLogger('info', sink),
  });

  it('serves a hit with the caller’s request id, CORS for any origin and one log line, and counts each request once against the rate limit', async () => {
    const miss = await get();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    // A miss passes the fast lane's rate limit and then Express: one token, not two.
    expect(miss.headers.get('ratelimit-remaining')).toBe('3');

    const hit = await get({ 'x-request-id': 'fast-lane-1', origin: 'https://reader.example' });
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('x-request-id')).toBe('fast-lane-1');
    expect(hit.headers.get('access-control-allow-origin')).toBe('*');
    expect(hit.headers.get('vary')).toMatch(/Origin/);
    expect(hit.headers.get('ratelimit-remaining')).toBe('2');
    expect(await hit.json()).toMatchObject({ data: { article: { headline: article.headline } } });
    const logged = logLines.filter((line) => line['requestId'] === 'fast-lane-1');
    expect(logged).toEqual([
      expect.objectContaining({ msg: 'request', path: '/graphql', status: 200, method: 'GET' }),
    ]);

    expect((await get()).headers.get('ratelimit-remaining')).toBe('1');
    expect((await get()).headers.get('ratelimit-remaining')).toBe('0');
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(
      ((await limited.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('RATE_LIMITED');
  });

  it('leaves keyed requests to Express, which checks the key', async () => {
    const keyed = await get({ 'x-api-key': 'byl_000000000000_not-a-real-key' });
    expect(keyed.status).toBe(401);
  });
});
