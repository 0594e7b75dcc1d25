import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commands, EXIT } from '../src/cli/main.ts';
import { demoContentDir } from '../src/http/start-gateway.ts';
import { byline, bylineBin, run } from './helpers/cli.ts';
import { createPgliteDataDir } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';

const SLOW = 180_000; // each run boots Node and, for ingest, PGlite: slow on a busy machine

describe('byline --help', () => {
  it(
    'lists every command and the configuration, exiting 0; with no command it exits 2',
    async () => {
      const [help, bare] = await Promise.all([byline(['--help']), byline([])]);
      expect(help.code).toBe(EXIT.ok);
      for (const name of Object.keys(commands))
        expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      expect(help.stdout).toContain('BYLINE_PLAYGROUND');
      expect(bare.code).toBe(EXIT.usage);
      expect(bare.stderr).toContain('Usage: byline <command>');
    },
    SLOW,
  );

  it(
    'works through npx, as the package bin',
    async () => {
      const result = await run('npx', ['--offline', '--no-install', 'byline', '--help']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toMatch(/^Usage: byline <command>/);
    },
    SLOW,
  );

  it(
    'gives each command a --help with its usage and options, exiting 0 without touching the database',
    async () => {
      const names = Object.keys(commands);
      // A database URL nothing listens on: --help must not need it.
      const results = await Promise.all(
        names.map((name) => byline([name, '--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })),
      );
      for (const [index, name] of names.entries()) {
        const result = results[index]!;
        expect(result.code, name).toBe(EXIT.ok);
        expect(result.stdout, name).toContain(`Usage: ${commands[name]!.usage}`);
        expect(result.stdout, name).toContain('-h, --help');
        for (const flag of Object.keys(commands[name]!.flags ?? {}))
          expect(result.stdout, name).toContain(`--${flag}`);
      }
    },
    SLOW,
  );
});

describe('byline exit codes', () => {
  it(
    'exits 2 on an unknown command, an unknown flag or a bad argument, saying what was wrong',
    async () => {
      const [command, flag, action, noPaths] = await Promise.all([
        byline(['publish']),
        byline(['ingest', '--fast', 'x.json']),
        byline(['migrate', 'sideways']),
        byline(['ingest']),
      ]);
      expect(command.code).toBe(EXIT.usage);
      expect(command.stderr).toContain('unknown command "publish"');
      expect(flag.code).toBe(EXIT.usage);
      expect(flag.stderr).toContain("Unknown option '--fast'");
      expect(action.code).toBe(EXIT.usage);
      expect(action.stderr).toContain('expected up, down or status, got "sideways"');
      expect(noPaths.code).toBe(EXIT.usage);
      expect(noPaths.stderr).toContain('expected at least one file or directory');
    },
    SLOW,
  );

  it(
    'exits 78 on bad configuration, naming the variable, whether from the environment or a flag',
    async () => {
      const [fromEnv, fromFlag] = await Promise.all([
        byline(['migrate', 'status'], { BYLINE_POOL_SIZE: 'lots' }),
        byline(['serve', '--port', 'http']),
      ]);
      expect(fromEnv.code).toBe(EXIT.config);
      expect(fromEnv.stderr).toContain('BYLINE_POOL_SIZE: expected an integer from 1 to 1000, got "lots"');
      expect(fromFlag.code).toBe(EXIT.config);
      expect(fromFlag.stderr).toContain('PORT: expected an integer from 0 to 65535, got "http"');
    },
    SLOW,
  );

  it(
    'exits 1 with one line, no stack trace, when the database cannot be reached',
    async () => {
      const result = await byline(['migrate', 'status'], {
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect(result.code).toBe(EXIT.failure);
      expect(result.stderr).toMatch(/^byline migrate: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
    SLOW,
  );
});

describe('byline ingest', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    for (const cleanup of cleanups) await cleanup();
  });
  /** A migrated PGlite data directory of this test's own, as `BYLINE_DATA_DIR`; writing to an in-memory one is refused (tests/one-writer.test.ts). */
  const dataDir = async () => {
    const { dataDir, remove } = await createPgliteDataDir('migrated');
    cleanups.push(remove);
    const runtime = await mkdtemp(path.join(tmpdir(), 'byline-cli-runtime-'));
    dirs.push(runtime);
    return { BYLINE_DATA_DIR: dataDir, BYLINE_RUNTIME_DIR: runtime };
  };

  it(
    'piped (not a terminal): one line per file, no progress bar, exit 1 when a file failed',
    async () => {
      const { dir } = await writeArticleFiles({
        'a.json': makeArticle({ slug: 'cli-good-one' }),
        'b.json': '{ "slug": ',
        'c.json': makeArticle({ slug: 'cli-good-two' }),
      });
      dirs.push(dir);
      const result = await byline(['ingest', dir], await dataDir());
      expect(result.code).toBe(EXIT.failure);
      expect(result.stdout).toMatch(/^created +cli-good-one/m);
      expect(result.stdout).toMatch(/^created +cli-good-two/m);
      expect(result.stderr).toContain('b.json: $: expected JSON');
      expect(result.stdout).toContain('2 landed, 1 failed');
      for (const output of [result.stdout, result.stderr]) {
        expect(output).not.toContain('\r');
        expect(output).not.toContain('ETA');
        expect(output).not.toContain('files/s');
      }
    },
    SLOW,
  );

  it(
    '--quiet prints only the summary, and exits 0 when every file landed',
    async () => {
      const result = await byline(['ingest', '--quiet', demoContentDir], await dataDir());
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout.trim()).toBe('8 landed, 0 failed');
    },
    SLOW,
  );

  it.skipIf(!existsSync('/usr/bin/script'))(
    'on a terminal (a pseudo-terminal from script(1)) draws a progress bar with rate and ETA',
    async () => {
      // script -q -e -c CMD /dev/null: run CMD on a new pseudo-terminal, exit with its code.
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bylineBin)} ingest ${JSON.stringify(demoContentDir)}`;
      const result = await run('script', ['-q', '-e', '-c', command, '/dev/null'], {
        DATABASE_URL: '',
        ...(await dataDir()),
      });
      expect(result.code).toBe(EXIT.ok);
      const frames = result.stdout.split('\r').filter((frame) => frame.includes('ingest ['));
      expect(frames.length).toBeGreaterThan(1);
      expect(result.stdout).toMatch(/ingest \[[█░]{24}\] {2}0\/8 {4}0% {2}0\.0 files\/s {2}ETA -:--/);
      expect(result.stdout).toMatch(
        /ingest \[█{24}\] {2}8\/8 {2}100% {2}[\d.]+ files\/s {2}done in \d+:\d\d/,
      );
      expect(result.stdout).toContain('8 landed, 0 failed');
      // The bar replaces the per-file lines on a terminal.
      expect(result.stdout).not.toMatch(/^created /m);
    },
    SLOW,
  );
});
