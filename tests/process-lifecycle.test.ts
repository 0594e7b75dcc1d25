import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/main.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { bylineBin, repoRoot } from './helpers/cli.ts';
import { createPgliteDataDir, createPostgresDatabase, postgresAvailable } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';
import { freePort } from './helpers/waiting.ts';

const SLOW = 240_000; // each case boots Node and PGlite (and npm): slow on a loaded 2-core machine

/** This environment without npm's script variables: the server must not think npm started it. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  return { ...env, DATABASE_URL: '', BYLINE_DATA_DIR: '', LOG_LEVEL: 'info', ...extra };
}

/** A process whose output is collected line by line, with a way to wait for a line. */
interface Watched {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function watch(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Watched {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: string) => {
    text += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => text,
    waitFor: (pattern, timeoutMs = 180_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = text.split('\n').find((candidate) => pattern.test(candidate));
          if (line === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected a line matching ${pattern} within ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

/** Whether a process exists and is not a zombie nobody reaped (orphans go to whatever init this is). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs = 60_000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !alive(pid);
}

/**
 * A GraphQL POST whose body arrives in two halves: the request is in flight from the moment its
 * headers are read until `finish()` sends the rest.
 */
function slowRequest(port: number): { finish(): void; response: Promise<{ status: number; body: string }> } {
  const body = JSON.stringify({ query: '{ __typename }' });
  const half = Math.floor(body.length / 2);
  let finish = () => {};
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.once('error', reject);
    req.flushHeaders();
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { finish: () => finish(), response };
}

interface ReadyLine {
  readonly msg: string;
  readonly pid: number;
  readonly url: string;
  readonly node: string;
}

describe('the runtime', () => {
  it('is the Node.js major that package.json engines names, here as in the server', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const wanted = Number(/(\d+)/.exec(pkg.engines.node)![1]);
    expect(
      Number(process.versions.node.split('.')[0]),
      `vitest runs on ${process.version}`,
    ).toBeGreaterThanOrEqual(wanted);
  });
});

describe('byline serve, stopped as operators stop it', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  /** PGlite in a data directory of the test's own, copied with the demo in it: no initdb per start. */
  const demoDataDir = async () => {
    const { dataDir, remove } = await createPgliteDataDir('demo');
    cleanups.push(remove);
    return dataDir;
  };

  const ways = [
    { name: 'npm start', command: 'npm', args: ['start'] },
    { name: 'npx byline serve', command: 'npx', args: ['--offline', '--no-install', 'byline', 'serve'] },
    { name: 'node bin/byline.mjs serve', command: process.execPath, args: [bylineBin, 'serve'] },
  ];

  for (const way of ways)
    it(
      `${way.name}: SIGTERM to that process drains the server (a request in flight completes) and it exits`,
      async () => {
        const port = await freePort();
        const started = watch(
          way.command,
          way.args,
          cleanEnv({ PORT: String(port), HOST: '127.0.0.1', BYLINE_DATA_DIR: await demoDataDir() }),
        );
        let server: number | undefined;
        try {
          const ready = JSON.parse(await started.waitFor(/"msg":"Byline ready at /)) as ReadyLine;
          expect(ready.msg).toBe(`Byline ready at http://127.0.0.1:${port}/graphql (database: pglite)`);
          expect(ready.node.split('.')[0]).toBe('v24');
          server = ready.pid;
          if (way.command === process.execPath) expect(server).toBe(started.child.pid);
          else expect(server).not.toBe(started.child.pid);

          const inFlight = slowRequest(port);
          // The server has read the headers once a second request got its answer on a new connection.
          await fetch(`http://127.0.0.1:${port}/healthz`);
          started.child.kill('SIGTERM');
          await started.waitFor(/"msg":"shutting down"/, 30_000);
          inFlight.finish();
          const answer = await inFlight.response;
          expect(answer.status).toBe(200);
          expect(JSON.parse(answer.body)).toMatchObject({ data: { __typename: 'Query' } });

          expect(await gone(server), `server pid ${server} still running`).toBe(true);
          await started.exited;
          expect(started.output()).toMatch(/"msg":"stopped"/);
          await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
        } finally {
          started.child.kill('SIGKILL');
          // An orphaned server, when the signal did not reach it: no leftovers for the next test.
          if (server !== undefined && alive(server)) process.kill(server, 'SIGKILL');
        }
      },
      SLOW,
    );

  it(
    'exits 1 at once, saying the port is in use, when something already listens on PORT',
    async () => {
      const holder: Server = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const { port } = holder.address() as AddressInfo;
      try {
        const started = watch(
          process.execPath,
          [bylineBin, 'serve'],
          cleanEnv({ PORT: String(port), HOST: '127.0.0.1', BYLINE_DATA_DIR: await demoDataDir() }),
        );
        const outcome = await Promise.race([
          started.exited,
          new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000)),
        ]);
        started.child.kill('SIGKILL');
        expect(outcome).toEqual({ code: EXIT.failure, signal: null });
        expect(started.output()).toContain(
          `byline serve: port ${port} on 127.0.0.1 is already in use; stop what listens there or set PORT`,
        );
        expect(started.output()).not.toMatch(/\n\s+at /);
        expect(started.output()).not.toContain('Byline ready');
      } finally {
        holder.close();
      }
    },
    SLOW,
  );
});

describe('byline ingest, stopped by a signal', () => {
  const ARTICLES = 400;
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const cases = [
    { signal: 'SIGTERM', code: EXIT.sigterm, engine: 'postgres' },
    { signal: 'SIGINT', code: EXIT.sigint, engine: 'pglite' },
  ] as const;

  for (const { signal, code, engine } of cases)
    it.skipIf(engine === 'postgres' && !postgresAvailable)(
      `${signal} on ${engine}: stops after the current article, every article whole, prints what landed, exits ${code}`,
      async () => {
        const files: Record<string, ReturnType<typeof makeArticle>> = {};
        for (let n = 0; n < ARTICLES; n += 1)
          files[`${String(n).padStart(4, '0')}.json`] = makeArticle({ slug: `signal-${engine}-${n}` });
        const { dir } = await writeArticleFiles(files);
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        let env: Record<string, string>;
        let open: () => ReturnType<typeof openDatabase>;
        if (engine === 'postgres') {
          const { url, dropDatabase } = await createPostgresDatabase('migrated');
          cleanups.push(dropDatabase);
          env = { DATABASE_URL: url };
          open = () => openDatabase({ databaseUrl: url });
        } else {
          const { dataDir, remove } = await createPgliteDataDir('migrated');
          cleanups.push(remove);
          env = { BYLINE_DATA_DIR: dataDir };
          open = () => openDatabase({ dataDir });
        }

        const ingest = watch(process.execPath, [bylineBin, 'ingest', dir], cleanEnv(env));
        try {
          // A few articles in: well inside the run, whose 400 articles take far longer.
          await ingest.waitFor(/^created +signal-\S+-4 /);
          ingest.child.kill(signal);
          const exit = await ingest.exited;
          const output = ingest.output();
          expect(exit, output).toEqual({ code, signal: null });
          expect(output).toContain(`byline ingest: ${signal}: stopping after the current article`);
          const summary = /^(\d+) landed, 0 failed; stopped by (\w+), (\d+) of (\d+) not ingested$/m.exec(
            output,
          );
          expect(summary, output).not.toBeNull();
          const [, landed, by, notIngested, total] = summary!.map(String);
          expect(by).toBe(signal);
          expect(Number(total)).toBe(ARTICLES);
          expect(Number(landed) + Number(notIngested)).toBe(ARTICLES);
          expect(Number(landed)).toBeGreaterThanOrEqual(5);
          expect(Number(landed)).toBeLessThan(ARTICLES);
          const created = output.match(/^created +/gm) ?? [];
          expect(created).toHaveLength(Number(landed));

          const database = await open();
          try {
            const { rows } = await sql<{ articles: number; partial: number }>`
              select count(*)::int as articles,
                     count(*) filter (where
                       (select count(*) from quotes q where q.article_id = a.id) <> 2
                       or (select count(*) from related_links l where l.article_id = a.id) <> 1
                       or (select count(*) from article_tags t where t.article_id = a.id) <> 1
                       or not exists (select 1 from article_search s where s.article_id = a.id)
                     )::int as partial
              from articles a`.execute(database.db);
            expect(rows[0]).toEqual({ articles: Number(landed), partial: 0 });
          } finally {
            await database.close();
          }
        } finally {
          ingest.child.kill('SIGKILL');
        }
      },
      SLOW,
    );
});
