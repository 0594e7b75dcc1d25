import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/shared/logger.ts';
import { makePartner } from './helpers/embedding.ts';
import { describePostgres } from './helpers/engines.ts';
import { useGateway } from './helpers/use-gateway.ts';

/**
 * What reaches the logs while things go wrong: a database failing under requests, idle connections
 * killed, a bad key, a good one. Never SQL text or parameters, driver internals (a connection's
 * cancel key), or partner keys.
 */

const SECRET_SLUG = 'parameter-that-must-not-be-logged';
const BAD_KEY = `byl_${'f'.repeat(12)}_${'S'.repeat(43)}`;

describePostgres('logs', (engine) => {
  const lines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    }),
  );
  const gateway = useGateway(engine, {
    demo: true,
    logger,
    // As `byline serve` opens it: idle connections that fail are logged.
    database: {
      preparedStatements: false,
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
    },
  });
  let key: string;
  beforeAll(async () => {
    ({ key } = await makePartner(gateway.db, { scopes: ['body'] }));
  });

  const article = (headers: Record<string, string> = {}) =>
    gateway.graphql('query ($slug: String!) { article(slug: $slug) { headline } }', {
      variables: { slug: SECRET_SLUG },
      headers,
    });

  it('hold no SQL, parameters, driver internals or keys through a database failure and bad and good keys', async () => {
    expect((await article({ authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await article({ 'x-api-key': BAD_KEY })).status).toBe(401);

    // Idle connections killed from outside, then every query failing (the table gone).
    await (async () => {
      const admin = new pg.Client({ connectionString: gateway.database.url! });
      await admin.connect();
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      await admin.end();
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sql`alter table articles rename to articles_away`.execute(gateway.db).catch(async () => {
      await sql`alter table articles rename to articles_away`.execute(gateway.db);
    });
    const failed = await article();
    await sql`alter table articles_away rename to articles`.execute(gateway.db);
    expect(failed.body.errors?.length).toBeGreaterThan(0);

    const text = lines.join('\n');
    // The failures were logged at all (else this test proves nothing).
    expect(text).toMatch(/idle database connection failed/);
    expect(text).toMatch(/unexpected error while resolving|database unavailable/);
    // The key whole, its secret part, the bad key, and a parameter of the failed statement.
    for (const secret of [key, key.slice(-43), BAD_KEY, SECRET_SLUG]) expect(text).not.toContain(secret);
    // SQL text, bind parameters and the pg client's internals (its backend's cancel key).
    expect(text).not.toMatch(/\bselect\b[^"]*\bfrom\b/i);
    expect(text).not.toMatch(/"(text|values|parameters|query|secretKey|processID|connectionParameters)":/);
    expect(text).not.toMatch(/"client":/);
  });
});
