import { createHash } from 'node:crypto';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, pgliteEngine, postgresEngine } from './helpers/engines.ts';
import { useGateway } from './helpers/use-gateway.ts';

/**
 * What an attacker on the open internet sends, one case per test: each asserts the exact status,
 * the error code, and that nothing of the server's insides (stack, SQL, table or column names,
 * an HTML error page) came back.
 */

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

async function send(
  origin: string,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const response = await fetch(`${origin}${init.path ?? '/graphql'}`, {
    method: init.method ?? 'POST',
    headers: init.headers ?? { 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await response.text();
  let json: RawResponse['json'] = {};
  try {
    json = JSON.parse(text) as RawResponse['json'];
  } catch {
    // Left empty: the assertions on `json` then fail and show `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

function post(origin: string, payload: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(origin, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
}

/** Server internals that must never reach a client. */
const LEAKS = [
  /stacktrace/i,
  /\bat [\w.<>]+ \(/, // a stack frame
  /node_modules/,
  /\.(ts|js|mjs):\d+/,
  /relation "|syntax error at or near|violates|invalid input syntax|duplicate key/i,
  /\bpg_|kysely|pglite|postgres/i,
  /published_at|section_id|lead_image_id|article_id|speaker_person_id|block_position/,
  /<html|<!doctype|<pre>/i,
  /ECONNREFUSED|TypeError|ReferenceError|Cannot read properties/,
];

function expectNoLeak(response: RawResponse): void {
  for (const leak of LEAKS) expect(response.text).not.toMatch(leak);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
}

function expectError(response: RawResponse, status: number, code: string, message?: RegExp): void {
  expect({ status: response.status, code: response.json.errors?.[0]?.extensions?.['code'] }).toEqual({
    status,
    code,
  });
  if (message) expect(response.json.errors![0]!.message).toMatch(message);
  expectNoLeak(response);
}

function nested(depth: number): string {
  // article → section → articles → nodes → section → … → __typename: one level per field.
  const levels = ['section', 'articles(first: 1)', 'nodes'];
  let query = '__typename';
  for (let level = depth - 2; level >= 1; level--) query = `${levels[(level - 1) % 3]} { ${query} }`;
  return `{ article(slug: "${SLUG}") { ${query} } }`;
}

describeEachEngine('hostile input', (engine) => {
  const gateway = useGateway(engine, { demo: true });
  let origin: string;
  let articleCount: number;
  beforeAll(async () => {
    origin = gateway.origin;
    const { body } = await gateway.graphql('{ articles { totalCount } }');
    articleCount = body.data!.articles.totalCount as number;
  });

  describe('query shape limits', () => {
    it('rejects a query nested 11 deep with QUERY_TOO_DEEP naming the depth and the limit', async () => {
      const response = await post(origin, { query: nested(11) });
      expectError(response, 400, 'QUERY_TOO_DEEP', /nested 11 fields deep; the limit is 10/);
    });

    it('runs a query nested exactly 10 deep', async () => {
      const response = await post(origin, { query: nested(10) });
      expect(response.json.errors).toBeUndefined();
      expect(response.status).toBe(200);
      expect(response.json.errors).toBeUndefined();
    });

    it('counts depth through fragments', async () => {
      const query = `query { article(slug: "${SLUG}") { ...A } }
        fragment A on Article { section { articles(first: 1) { nodes { ...B } } } }
        fragment B on Article { section { articles(first: 1) { nodes { ...C } } } }
        fragment C on Article { section { articles(first: 1) { nodes { section { slug } } } } }`;
      const response = await post(origin, { query });
      expectError(response, 400, 'QUERY_TOO_DEEP', /nested 12 fields deep/);
    });

    it('rejects an alias bomb of real fields with TOO_MANY_ALIASES', async () => {
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: article(slug: "${SLUG}") { headline }`);
      const response = await post(origin, { query: `{ ${aliases.join(' ')} }` });
      expectError(response, 400, 'TOO_MANY_ALIASES', /uses 16 aliases; the limit is 15/);
    });

    it('rejects an alias bomb of __typename with TOO_MANY_ALIASES', async () => {
      const aliases = Array.from({ length: 100 }, (_, i) => `t${i}: __typename`);
      const response = await post(origin, { query: `{ ${aliases.join(' ')} }` });
      expectError(response, 400, 'TOO_MANY_ALIASES', /uses 100 aliases; the limit is 15/);
    });

    it('counts aliases in a fragment once per spread', async () => {
      const query = `{ a: article(slug: "${SLUG}") { ...F } b: article(slug: "${SLUG}") { ...F } }
        fragment F on Article { h1: headline h2: headline h3: headline h4: headline h5: headline h6: headline h7: headline }`;
      const response = await post(origin, { query });
      expectError(response, 400, 'TOO_MANY_ALIASES', /uses 16 aliases/);
    });

    it('refuses 500 duplicated fields inside a page as QUERY_TOO_COMPLEX', async () => {
      const fields = Array.from({ length: 500 }, () => 'headline').join(' ');
      const response = await post(origin, { query: `{ articles(first: 20) { nodes { ${fields} } } }` });
      expectError(response, 400, 'QUERY_TOO_COMPLEX', /Query cost 10002 exceeds the limit of 5000/);
      expect(response.json.extensions?.['cost']).toEqual({ requested: 10002, limit: 5000 });
    });

    it('rejects directive overload with TOO_MANY_DIRECTIVES', async () => {
      const directives = Array.from({ length: 11 }, () => '@include(if: true)').join(' ');
      const response = await post(origin, {
        query: `{ article(slug: "${SLUG}") { headline ${directives} } }`,
      });
      expectError(response, 400, 'TOO_MANY_DIRECTIVES', /uses 11 directives; the limit is 10/);
    });

    it('rejects a document of more than 2,000 tokens with TOO_MANY_TOKENS, counting them', async () => {
      const fields = Array.from({ length: 2100 }, () => 'headline').join(' ');
      const response = await post(origin, { query: `{ article(slug: "${SLUG}") { ${fields} } }` });
      expectError(response, 400, 'TOO_MANY_TOKENS', /The document has 2110 tokens; the limit is 2000/);
    });

    it('reports a syntax error as GRAPHQL_PARSE_FAILED with a 400, not a 500', async () => {
      const response = await post(origin, { query: '{ article(slug: "x") { headline ' });
      expectError(response, 400, 'GRAPHQL_PARSE_FAILED', /Syntax Error: Expected Name, found <EOF>/);
    });

    it('reports at most 5 validation errors', async () => {
      const unknown = Array.from({ length: 40 }, (_, i) => `nope${i}`).join(' ');
      const response = await post(origin, { query: `{ ${unknown} }` });
      expect(response.status).toBe(400);
      expect(response.json.errors).toHaveLength(5);
      expect(response.json.errors!.at(-1)!.extensions!['code']).toBe('TOO_MANY_VALIDATION_ERRORS');
      expectNoLeak(response);
    });

    it('rejects circular fragments as a validation error', async () => {
      const query = `{ article(slug: "${SLUG}") { ...A } }
        fragment A on Article { section { articles { nodes { ...B } } } }
        fragment B on Article { section { articles { nodes { ...A } } } }`;
      const response = await post(origin, { query });
      expectError(
        response,
        400,
        'GRAPHQL_VALIDATION_FAILED',
        /Cannot spread fragment "A" within itself via "B"/,
      );
    });

    it('rejects circular introspection with graphql-js’s introspection depth rule', async () => {
      const query = `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`;
      const response = await post(origin, { query });
      expectError(response, 400, 'GRAPHQL_VALIDATION_FAILED', /Maximum introspection depth exceeded/);
    });
  });

  describe('arguments', () => {
    it('refuses a huge first before any resolver runs, as QUERY_TOO_COMPLEX', async () => {
      const response = await post(origin, {
        query: '{ articles(first: 2000000000) { nodes { headline } } }',
      });
      expectError(response, 400, 'QUERY_TOO_COMPLEX', /Query cost 2000000002 exceeds the limit of 5000/);
    });

    it('refuses first above the page size with BAD_USER_INPUT naming the argument', async () => {
      const response = await post(origin, { query: '{ articles(first: 101) { totalCount } }' });
      expectError(response, 200, 'BAD_USER_INPUT', /Argument "first" must be between 0 and 100, got 101/);
    });

    it('refuses a negative first with BAD_USER_INPUT', async () => {
      const response = await post(origin, { query: '{ articles(first: -1) { totalCount } }' });
      expectError(response, 200, 'BAD_USER_INPUT', /Argument "first" must be between 0 and 100, got -1/);
    });

    it('refuses a garbage cursor with BAD_USER_INPUT', async () => {
      const response = await post(origin, {
        query: '{ articles(after: "!!not a cursor!!") { totalCount } }',
      });
      expectError(response, 200, 'BAD_USER_INPUT', /Argument "after" is not a valid cursor for this list/);
    });

    it('refuses a tampered cursor (valid encoding, forged content) with BAD_USER_INPUT', async () => {
      const { json } = await post(origin, { query: '{ articles(first: 1) { pageInfo { endCursor } } }' });
      const cursor = (json.data!['articles'] as { pageInfo: { endCursor: string } }).pageInfo.endCursor;
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
      const forged = Buffer.from(JSON.stringify([decoded[0], "'; drop table articles; --", 1])).toString(
        'base64url',
      );
      const response = await post(origin, {
        query: 'query ($after: String) { articles(after: $after) { totalCount } }',
        variables: { after: forged },
      });
      expectError(response, 200, 'BAD_USER_INPUT', /not a valid cursor/);
    });

    it('refuses a malformed ID with BAD_USER_INPUT naming the argument', async () => {
      const response = await post(origin, { query: '{ node(id: "not an id at all") { id } }' });
      expectError(response, 200, 'BAD_USER_INPUT', /Argument "id" is not a valid ID/);
    });

    it('answers null for a well-formed ID of an object that does not exist', async () => {
      const id = Buffer.from('Article:2147483647').toString('base64url');
      const response = await post(origin, { query: `{ node(id: "${id}") { id } }` });
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ data: { node: null }, extensions: expect.anything() });
    });

    it('refuses a variable of the wrong type with BAD_USER_INPUT and a 400', async () => {
      const response = await post(origin, {
        query: 'query ($first: Int) { articles(first: $first) { totalCount } }',
        variables: { first: 'ten' },
      });
      expectError(response, 400, 'BAD_USER_INPUT', /Variable "\$first" got invalid value "ten"/);
    });

    it('treats SQL injection in every string argument as plain text', async () => {
      const injections = [
        "' OR '1'='1",
        "x'); DROP TABLE articles; --",
        '" OR 1=1 --',
        '1; SELECT pg_sleep(10) --',
        "%' UNION SELECT slug FROM people --",
      ];
      const probes = [
        'query ($s: String!) { article(slug: $s) { id } }',
        'query ($s: URL!) { article(url: $s) { id } }',
        'query ($s: String!) { section(slug: $s) { slug } }',
        'query ($s: String!) { tag(slug: $s) { slug } }',
        'query ($s: String!) { person(slug: $s) { slug } }',
        'query ($s: String!) { organization(slug: $s) { slug } }',
        'query ($s: String!) { people(query: $s) { totalCount } }',
        'query ($s: String!) { quotes(filter: { speaker: $s, article: $s }) { totalCount } }',
        'query ($s: String!) { articles(filter: { section: $s, tag: $s, person: $s }) { totalCount } }',
      ];
      for (const injection of injections) {
        for (const query of probes) {
          const s = query.includes('URL')
            ? `https://evil.example/${encodeURIComponent(injection)}`
            : injection;
          const response = await post(origin, { query, variables: { s } });
          expect(response.status, `${query} with ${injection}`).toBe(200);
          expect(response.json.errors, `${query} with ${injection}`).toBeUndefined();
          const value = Object.values(response.json.data!)[0] as null | { totalCount?: number };
          // Nothing matches a slug like this, and no filter is widened into "everything".
          expect(value === null || value.totalCount === 0, `${query} with ${injection}`).toBe(true);
          expectNoLeak(response);
        }
      }
      const { body } = await gateway.graphql('{ articles { totalCount } }');
      expect(body.data!.articles.totalCount).toBe(articleCount);
    });

    it('refuses NUL bytes in a string variable with BAD_USER_INPUT before the gateway.database sees them', async () => {
      const response = await post(origin, {
        query: 'query ($s: String!) { article(slug: $s) { id } }',
        variables: { s: 'abc\u0000def' },
      });
      expectError(response, 400, 'BAD_USER_INPUT', /must not contain NUL characters/);
    });

    it('refuses NUL bytes in a string literal with BAD_USER_INPUT', async () => {
      const response = await post(origin, { query: '{ people(query: "a\\u0000b") { totalCount } }' });
      expectError(response, 400, 'BAD_USER_INPUT', /must not contain NUL characters/);
    });

    it('reads invalid UTF-8 as replacement characters, finding nothing', async () => {
      const body = Buffer.concat([
        Buffer.from('{"query":"query ($s: String!) { article(slug: $s) { id } }","variables":{"s":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        Buffer.from('"}}'),
      ]);
      const response = await send(origin, { headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
      expect(response.json.data).toEqual({ article: null });
      expectNoLeak(response);
    });
  });

  describe('HTTP', () => {
    it('refuses a body over 100 kB, just over or 1 MB, with 413 PAYLOAD_TOO_LARGE', async () => {
      for (const size of [101 * 1024, 1_000_000]) {
        const response = await post(origin, {
          query: `{ __typename }`,
          variables: { pad: 'x'.repeat(size) },
        });
        expectError(response, 413, 'PAYLOAD_TOO_LARGE', /^Request body is larger than the 100 kB limit$/);
        expect(response.json).toEqual({
          errors: [
            {
              message: 'Request body is larger than the 100 kB limit',
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
      }
    });

    it('refuses a JSON array of 1,000 operations with 400 BATCHING_NOT_SUPPORTED', async () => {
      const batch = Array.from({ length: 1000 }, () => ({ query: '{ __typename }' }));
      const response = await post(origin, batch);
      expectError(response, 400, 'BATCHING_NOT_SUPPORTED', /JSON array of 1000 items/);
    });

    it('refuses a text/plain POST as a possible CSRF with 400', async () => {
      const response = await send(origin, {
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expectError(response, 400, 'BAD_REQUEST', /Cross-Site Request Forgery/);
    });

    it('refuses a form POST as a possible CSRF with 400', async () => {
      const response = await send(origin, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'query=%7B__typename%7D',
      });
      expectError(response, 400, 'BAD_REQUEST', /Cross-Site Request Forgery/);
    });

    it('refuses a simple GET without a preflight header as a possible CSRF', async () => {
      const response = await send(origin, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('{ __typename }')}`,
        headers: {},
      });
      expectError(response, 400, 'BAD_REQUEST', /Cross-Site Request Forgery/);
    });

    it('refuses a JSON body in another charset with 415', async () => {
      const response = await send(origin, {
        headers: { 'content-type': 'application/json; charset=latin1' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE', /must be UTF-8/);
    });

    it('refuses a mutation over GET with 405 and Allow: POST', async () => {
      const response = await send(origin, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('mutation { deleteEverything }')}`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expectError(response, 405, 'METHOD_NOT_ALLOWED', /A mutation cannot be sent with GET/);
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('refuses a mutation the schema does not have with 400, naming the field', async () => {
      const response = await post(origin, { query: 'mutation { deleteEverything }' });
      expectError(
        response,
        400,
        'GRAPHQL_VALIDATION_FAILED',
        /Cannot query field "deleteEverything" on type "Mutation"/,
      );
    });

    it('refuses a subscription over POST with 400: subscriptions run over WebSocket', async () => {
      const response = await post(origin, { query: 'subscription { changes { cursor } }' });
      expectError(response, 400, 'BAD_REQUEST', /Subscriptions run over WebSocket \(the graphql-ws protocol/);
    });

    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      it(`refuses ${method} with 405 JSON and Allow: GET, POST`, async () => {
        const response = await send(origin, { method, body: JSON.stringify({ query: '{ __typename }' }) });
        expectError(response, 405, 'METHOD_NOT_ALLOWED', new RegExp(`Method ${method} is not allowed`));
        expect(response.headers.get('allow')).toBe('GET, POST');
      });
    }

    it('answers invalid JSON with a JSON error body, not an HTML page', async () => {
      const response = await send(origin, { body: '{"query": "{ __typename }"' });
      expectError(response, 400, 'BAD_REQUEST', /Request body is not valid JSON/);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.json).toEqual({
        errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
      });
    });

    it('refuses a body whose query is not a string', async () => {
      const response = await post(origin, { query: 42 });
      expectError(response, 400, 'BAD_REQUEST', /GraphQL queries must be strings/);
    });

    it('refuses an empty JSON object', async () => {
      const response = await post(origin, {});
      expectError(response, 400, 'BAD_REQUEST');
    });

    it('answers an unknown persisted query hash with PERSISTED_QUERY_NOT_FOUND', async () => {
      const extensions = {
        persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('x').digest('hex') },
      };
      const response = await send(origin, {
        method: 'GET',
        path: `/graphql?extensions=${encodeURIComponent(JSON.stringify(extensions))}`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expectError(response, 200, 'PERSISTED_QUERY_NOT_FOUND', /PersistedQueryNotFound/);
    });

    it('refuses a persisted query whose hash does not match its text', async () => {
      const response = await post(origin, {
        query: '{ __typename }',
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      });
      expectError(response, 400, 'BAD_REQUEST', /^provided sha does not match query$/);
    });

    it('answers an unknown path with a JSON 404', async () => {
      const response = await send(origin, { method: 'GET', path: '/wp-admin/install.php', headers: {} });
      expectError(response, 404, 'NOT_FOUND');
    });
  });
});

describe('hostile input in production', () => {
  const gateway = useGateway(pgliteEngine, { env: { NODE_ENV: 'production' } });

  it('refuses introspection with INTROSPECTION_DISABLED', async () => {
    const response = await post(gateway.origin, { query: '{ __schema { queryType { name } } }' });
    expectError(response, 400, 'INTROSPECTION_DISABLED', /Introspection \(__schema, __type\) is disabled/);
  });

  it('refuses introspection hidden in a fragment', async () => {
    const response = await post(gateway.origin, {
      query: '{ ...Q } fragment Q on Query { __type(name: "Article") { name } }',
    });
    expectError(response, 400, 'INTROSPECTION_DISABLED');
  });

  it('hides field suggestions ("Did you mean") from validation errors', async () => {
    const response = await post(gateway.origin, { query: `{ article(slug: "${SLUG}") { headlin } }` });
    expectError(response, 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "headlin" on type "Article"/);
    expect(response.text).not.toMatch(/Did you mean/);
  });
});

/** Sends raw bytes on a fresh connection; resolves with everything the server sent before closing. */
function rawExchange(origin: string, bytes: string, waitMs = 10_000): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, waitMs);
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(bytes);
  });
}

function rawJson(answer: string): { status: number; code: unknown; message: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  expect(head).toMatch(/content-type: application\/json; charset=utf-8/i);
  const error = (JSON.parse(body) as { errors: { message: string; extensions: { code: string } }[] })
    .errors[0]!;
  return { status, code: error.extensions.code, message: error.message };
}

// With the response cache on (PostgreSQL), GET variables are keyed before Apollo runs.
describe('every input path', () => {
  const gateway = useGateway(postgresEngine ?? pgliteEngine, {
    demo: true,
    env: (database) => ({
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      BYLINE_REQUEST_TIMEOUT_MS: '1000',
      BYLINE_HEADERS_TIMEOUT_MS: '1000',
    }),
  });

  const getVariables = (variables: string) =>
    send(gateway.origin, {
      method: 'GET',
      path: `/graphql?${new URLSearchParams({ query: 'query ($v: JSON) { __typename }', variables })}`,
      headers: { 'apollo-require-preflight': 'true' },
    });

  describe('GET variables', () => {
    it('refuses variables nested 3,500 deep (a 7 kB URL) with 400 BAD_REQUEST naming variables', async () => {
      // Brackets left unescaped, as a browser sends them, to stay under Node's header size limit.
      const response = await send(gateway.origin, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('query ($v: JSON) { __typename }')}&variables={"v":${'['.repeat(3500)}${']'.repeat(3500)}}`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expectError(response, 400, 'BAD_REQUEST', /"variables" nests 3501 levels deep; at most 64/);
    });

    it('refuses variables nested 65 deep and keeps serving', async () => {
      const response = await getVariables(`{"v":${'['.repeat(64)}${']'.repeat(64)}}`);
      expectError(response, 400, 'BAD_REQUEST', /"variables" nests 65 levels deep/);
      const after = await gateway.graphql('{ __typename }');
      expect(after.status).toBe(200);
    });

    it('counts brackets inside strings as text, not nesting', async () => {
      const response = await send(gateway.origin, {
        method: 'GET',
        path: `/graphql?${new URLSearchParams({
          query: 'query ($slug: String!) { article(slug: $slug) { headline } }',
          variables: JSON.stringify({ slug: '['.repeat(500) }),
        })}`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(200);
      expect(response.json.data).toEqual({ article: null });
    });

    it('refuses POST variables nested deeper than 64 with 400 naming variables', async () => {
      const deep = JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as unknown;
      const response = await post(gateway.origin, { query: '{ __typename }', variables: { v: deep } });
      expectError(response, 400, 'BAD_REQUEST', /Body field "variables" nests more than 64 levels/);
    });
  });

  describe('path parameters', () => {
    for (const path of [
      '/embed/articles/a%00b',
      '/articles/a%00b',
      '/embed/quotes/a%00b',
      '/quotes/a%00b',
      '/people/a%00b',
    ]) {
      it(`refuses NUL in ${path} with 400 before the database sees it`, async () => {
        const response = await send(gateway.origin, { method: 'GET', path });
        expectError(response, 400, 'BAD_REQUEST', /Path segment "(slug|id)": must not contain NUL/);
      });
    }

    it('refuses NUL in the slug of an oEmbed url with 400 naming url', async () => {
      const url = encodeURIComponent('https://byline.test/articles/a%00b');
      const response = await send(gateway.origin, { method: 'GET', path: `/oembed?url=${url}` });
      expectError(
        response,
        400,
        'BAD_REQUEST',
        /Query parameter "url": the article slug in it must not contain NUL/,
      );
    });

    it('refuses a NUL in the oEmbed url itself with 400 naming url', async () => {
      const response = await send(gateway.origin, { method: 'GET', path: '/oembed?url=https://x.test/a%00' });
      expectError(response, 400, 'BAD_REQUEST', /Query parameter "url": must not contain NUL/);
    });

    for (const path of [
      '/articles/%',
      '/embed/articles/%E0%A4%A',
      '/embed/quotes/%zz',
      '/quotes/100%',
      '/people/%zz',
    ]) {
      it(`answers the malformed percent-escape of ${path} with 400 JSON, not a URIError 500`, async () => {
        const response = await send(gateway.origin, { method: 'GET', path });
        expectError(response, 400, 'BAD_REQUEST', /is not valid percent-encoding/);
      });
    }

    it('answers a malformed escape in an oEmbed url as not found', async () => {
      const url = encodeURIComponent('https://byline.test/articles/%E0%A4%A');
      const response = await send(gateway.origin, { method: 'GET', path: `/oembed?url=${url}` });
      expectError(response, 404, 'NOT_FOUND');
    });

    it('answers an unknown but valid slug with 404', async () => {
      const response = await fetch(`${gateway.origin}/articles/no-such-article`);
      expect(response.status).toBe(404);
    });
  });

  describe("Node's own refusals", () => {
    it('answers a request line that is not HTTP with 400 in the JSON error shape', async () => {
      const answer = rawJson(await rawExchange(gateway.origin, 'NOT HTTP AT ALL\r\n\r\n'));
      expect(answer).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    });

    it('answers headers over the size limit with 431 in the JSON error shape', async () => {
      const answer = rawJson(
        await rawExchange(
          gateway.origin,
          `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        ),
      );
      expect(answer).toMatchObject({ status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
    });

    it('answers a client too slow to send its request with 408 in the JSON error shape', async () => {
      const started = performance.now();
      const answer = rawJson(
        await rawExchange(
          gateway.origin,
          'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        ),
      );
      expect(answer).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(answer.message).toMatch(/within 1000 ms \(BYLINE_REQUEST_TIMEOUT_MS\)/);
      // Set to 1 s here, checked every half second: gone well before Node's default 300 s.
      expect(performance.now() - started).toBeLessThan(8000);
    });
  });
});
