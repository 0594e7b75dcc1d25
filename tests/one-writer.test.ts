import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/main.ts';
import { DATA_DIR_LOCK_FILE } from '../src/db/data-dir-lock.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createPartner } from '../src/modules/partners/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { byline } from './helpers/cli.ts';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import { createPostgresDatabase, describePostgres } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';
import { freePort } from './helpers/waiting.ts';

const SLOW = 120_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function articleFile(slug: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { dir, paths } = await writeArticleFiles({ [`${slug}.json`]: makeArticle({ slug, ...extra }) });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return paths[0]!;
}

async function headlineOf(server: BylineProcess, slug: string): Promise<string | null> {
  const response = await fetch(`${server.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ article(slug: ${JSON.stringify(slug)}) { headline } }` }),
  });
  const body = (await response.json()) as { data: { article: { headline: string } | null } };
  return body.data.article?.headline ?? null;
}

async function serve(env: Record<string, string>): Promise<BylineProcess> {
  const server = await startBylineProcess({ databaseUrl: '', env: { BYLINE_DEMO: 'false', ...env } });
  cleanups.push(() => server.kill());
  return server;
}

describe('a PGlite data directory', () => {
  it(
    'refuses a second process, naming the directory and the holder pid',
    async () => {
      const dataDir = await tempDir('byline-lock-');
      const holder = await openDatabase({ dataDir });
      try {
        const second = await byline(['migrate', 'status'], { BYLINE_DATA_DIR: dataDir });
        expect(second.code).toBe(EXIT.failure);
        expect(second.stderr).toContain(
          `PGlite data directory ${dataDir} is in use by process ${process.pid}`,
        );
      } finally {
        await holder.close();
      }
      // Released on close: the next opener gets it.
      const after = await byline(['migrate', 'status'], { BYLINE_DATA_DIR: dataDir });
      expect(after.code).toBe(EXIT.ok);
    },
    SLOW,
  );

  it(
    'takes over a stale lock left by a process that died',
    async () => {
      const dataDir = await tempDir('byline-stale-');
      const dead = spawn(process.execPath, ['-e', '0']);
      await once(dead, 'exit');
      await writeFile(path.join(dataDir, DATA_DIR_LOCK_FILE), `${dead.pid}\n`);
      const database = await openDatabase({ dataDir });
      try {
        expect((await readFile(path.join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).trim()).toBe(
          String(process.pid),
        );
      } finally {
        await database.close();
      }
    },
    SLOW,
  );
});

describe('byline ingest with no database of its own', () => {
  it(
    'refuses to write to an in-memory PGlite, saying what to do, and writes nothing',
    async () => {
      const file = await articleFile('nowhere-to-go');
      const result = await byline(['ingest', file], {
        PORT: String(await freePort()),
        BYLINE_RUNTIME_DIR: await tempDir('byline-runtime-'),
      });
      expect(result.code).toBe(EXIT.config);
      expect(result.stderr).toContain('refusing to write to an in-memory database');
      expect(result.stderr).toContain('Start the server first (npm start)');
      expect(result.stdout).not.toContain('landed');
    },
    SLOW,
  );
});

describe('the CLI beside a server on embedded PGlite', () => {
  it(
    'ingests and creates partner keys through the running in-memory server, which then has them',
    async () => {
      const runtimeDir = await tempDir('byline-runtime-');
      const server = await serve({ BYLINE_RUNTIME_DIR: runtimeDir });
      const cli = { PORT: String(server.port), BYLINE_RUNTIME_DIR: runtimeDir };

      const file = await articleFile('through-the-server', { headline: 'Landed where it is served' });
      const ingest = await byline(['ingest', file], cli);
      expect(ingest.stderr).toContain(`writing through the server on port ${server.port}`);
      expect(ingest.stdout).toMatch(/^created +through-the-server/m);
      expect(ingest.code).toBe(EXIT.ok);
      expect(await headlineOf(server, 'through-the-server')).toBe('Landed where it is served');

      const partner = await byline(['partner', 'create', 'Through The Server', '--scope', 'body'], cli);
      expect(partner.code).toBe(EXIT.ok);
      const key = /^key +(byl_\S+)/m.exec(partner.stdout)![1]!;
      const keyed = await fetch(`${server.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ article(slug: "through-the-server") { body { __typename } } }' }),
      });
      expect(keyed.status).toBe(200);
      const body = (await keyed.json()) as { data: { article: { body: unknown[] } } };
      expect(body.data.article.body.length).toBeGreaterThan(0);
    },
    SLOW,
  );

  it(
    'with one BYLINE_DATA_DIR, ingests through the server holding it, and the article survives a restart',
    async () => {
      const runtimeDir = await tempDir('byline-runtime-');
      const dataDir = await tempDir('byline-data-');
      const env = { BYLINE_RUNTIME_DIR: runtimeDir, BYLINE_DATA_DIR: dataDir };
      let server = await serve(env);
      const file = await articleFile('kept-on-disk', { headline: 'Kept on disk' });
      const ingest = await byline(['ingest', file], { ...env, PORT: String(server.port) });
      expect(ingest.code).toBe(EXIT.ok);
      expect(await headlineOf(server, 'kept-on-disk')).toBe('Kept on disk');

      // A CLI that does not find the server (another runtime dir) meets the lock, not a second copy.
      const elsewhere = await byline(['ingest', file], {
        BYLINE_DATA_DIR: dataDir,
        BYLINE_RUNTIME_DIR: await tempDir('byline-runtime-'),
        PORT: String(await freePort()),
      });
      expect(elsewhere.code).toBe(EXIT.failure);
      expect(elsewhere.stderr).toContain(`is in use by process ${server.pid}`);

      server.signal('SIGTERM');
      await server.exited;
      server = await serve(env);
      expect(await headlineOf(server, 'kept-on-disk')).toBe('Kept on disk');
    },
    SLOW,
  );
});

describePostgres('the CLI with --server', () => {
  it(
    'ingests through a server named on the command line, with an editor key',
    async () => {
      const { url, dropDatabase } = await createPostgresDatabase();
      cleanups.push(dropDatabase);
      const admin = await openDatabase({ databaseUrl: url });
      await migrateToLatest(admin.db);
      const { key } = await createPartner(admin.db, { name: 'Desk CMS', scopes: ['editor'] });
      const { key: readerKey } = await createPartner(admin.db, { name: 'Reader', scopes: ['preview'] });
      await admin.close();
      const server = await startBylineProcess({ databaseUrl: url, env: { BYLINE_DEMO: 'false' } });
      cleanups.push(() => server.kill());
      const file = await articleFile('pushed-by-url', { headline: 'Pushed by URL' });
      // DATABASE_URL blank: only the server can take the write.
      const refused = await byline(['ingest', '--server', server.origin, file], {
        BYLINE_API_KEY: readerKey,
        BYLINE_RUNTIME_DIR: await tempDir('byline-runtime-'),
      });
      expect(refused.code).toBe(EXIT.failure);
      expect(refused.stderr).toContain('needs a partner key with the "editor" scope');
      const result = await byline(['ingest', '--server', server.origin, file], {
        BYLINE_API_KEY: key,
        BYLINE_RUNTIME_DIR: await tempDir('byline-runtime-'),
      });
      expect(result.stdout).toMatch(/^created +pushed-by-url/m);
      expect(result.code).toBe(EXIT.ok);
      expect(await headlineOf(server, 'pushed-by-url')).toBe('Pushed by URL');
    },
    SLOW,
  );
});
