import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from './helpers/engines.ts';
import { useGateway } from './helpers/use-gateway.ts';

describe('HTTP endpoints', () => {
  const api = useGateway(engines[0]!, { demo: true });

  it('GET /healthz answers 200 and GET /readyz reports the database ready', async () => {
    const health = await fetch(`${api.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${api.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: api.database.engine });
  });

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const given = await fetch(`${api.origin}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${api.origin}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${api.origin}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }],
    });
  });

  it('reports a GraphQL syntax error as a 400 with its location', async () => {
    const { status, body } = await api.graphql('{ article(slug: ');
    expect(status).toBe(400);
    expect(body.errors![0]).toEqual({
      message: 'Syntax Error: Unexpected <EOF>.',
      locations: [{ line: 1, column: 17 }],
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('masks an unexpected error: a code and the request id, nothing of the cause', async () => {
    // Break the schema under the running gateway so resolving a section fails inside Postgres.
    await sql`alter table sections rename to sections_away`.execute(api.db);
    try {
      const { body, headers } = await api.graphql(
        `{ articles(first: 1) { nodes { headline section { name } } } }`,
      );
      const requestId = headers.get('x-request-id');
      expect(body.errors).toEqual([
        {
          message: `Internal server error (request id ${requestId})`,
          // The page's statement brings each article's section: it fails as a whole.
          locations: [{ line: 1, column: 3 }],
          path: ['articles'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
        },
      ]);
      expect(JSON.stringify(body)).not.toMatch(/sections|relation|select|stack/i);
    } finally {
      await sql`alter table sections_away rename to sections`.execute(api.db);
    }
  });
});
