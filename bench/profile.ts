/**
 * `npm run bench:profile -- [--scenario article-page] [--cached] [--duration 10] [--connections 16] [--database-url URL]`
 *
 * Where Byline's time goes: runs Byline under `node --cpu-prof`, loads one scenario with autocannon
 * from another process (`--cached`: with its response cache, the same operations as GETs, each URL
 * asked once before the load so the profile is of hits), stops it (the profile is written on exit) and prints the self time by
 * function and by package. Writes the summary to bench/results/<timestamp>-profile-<scenario>.md; the
 * .cpuprofile itself (open it in Chrome DevTools or speedscope for a flame graph) stays in the temp
 * directory named in the output.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Scenario } from './compare.ts';
import { benchDatabaseUrl } from './dataset/load.ts';
import { draw, loadArgumentPools, runLoad, startServer, stopServer, variantFor, waitFor } from './run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Which package a script belongs to: `node_modules/<pkg>`, Byline's own source, or Node's internals. */
export function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:') || url === '') return '(node internals)';
  if (url.includes('/src/')) return 'byline src/';
  return url;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byFunction: { name: string; where: string; ms: number; share: number }[];
  readonly byPackage: { name: string; ms: number; share: number }[];
}

/** Self time per function and per package, from the samples of a V8 .cpuprofile. */
export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const msPerSample = totalMs / Math.max(1, profile.samples.length);
  const functions = new Map<string, { name: string; where: string; ms: number }>();
  const packages = new Map<string, number>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const ms = count * msPerSample;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.replace(`file://${root}`, '')}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
    const pkg = url ? packageOf(url) : name; // (garbage collector), (idle), (program)
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const share = (ms: number) => ms / totalMs;
  return {
    totalMs,
    byFunction: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: share(ms) })),
  };
}

function renderSummary(summary: ProfileSummary, title: string): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  return [
    `# ${title}`,
    '',
    `Self time over ${(summary.totalMs / 1000).toFixed(1)} s of profile.`,
    '',
    '| package | self ms | share |',
    '| --- | --- | --- |',
    ...summary.byPackage.map((p) => `| ${p.name} | ${p.ms.toFixed(0)} | ${pct(p.share)} |`),
    '',
    '| function | where | self ms | share |',
    '| --- | --- | --- | --- |',
    ...summary.byFunction.map((f) => `| ${f.name} | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'article-page' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
      'database-url': { type: 'string' },
      port: { type: 'string', default: '4150' },
      cached: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const scenario = values.scenario as Scenario;
  const scenarios = [
    'article-page',
    'section-front',
    'person-page',
    'person-median',
    'person-top',
    'trivial',
    'search',
  ];
  if (!scenarios.includes(scenario)) {
    throw new Error(`--scenario: expected one of ${scenarios.join(', ')}, got "${scenario}"`);
  }
  const serverName = values.cached ? 'byline-cached' : 'byline';
  const databaseUrl = benchDatabaseUrl(values['database-url']);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const pools = await loadArgumentPools(client).finally(() => client.end());
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'byline-cpu-prof-'));
  const server = startServer(serverName, Number(values.port), databaseUrl, [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
  ]);
  let loadLine = '';
  try {
    await waitFor(`${server.origin}/readyz`, server);
    const variants = draw(pools[scenario], 2000, 6).map((argument) =>
      variantFor(serverName, scenario, argument)!,
    );
    if (values.cached) {
      for (const variant of new Map(variants.map((v) => [v.path, v])).values()) {
        await fetch(server.origin + variant.path, { headers: variant.headers ?? {} });
      }
    }
    const load = await runLoad({
      origin: server.origin,
      connections: Number(values.connections),
      durationSeconds: Number(values.duration),
      variants,
    });
    loadLine = `Load: ${load.requestsPerSecond.toFixed(0)} req/s under the profiler, p99 ${load.p99Ms} ms, ${load.errors} errors.`;
  } finally {
    await stopServer(server);
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written to ${profileDir}: did Byline exit cleanly?`);
  const summary = summarizeProfile(
    JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile,
  );
  const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
  const title = `Byline CPU profile, ${scenario}${values.cached ? ' (cache hits)' : ''}, ${values.connections} connections, ${values.duration} s (${stamp})`;
  const markdown =
    renderSummary(summary, title) +
    `\n${loadLine} The profile spans the whole process, start-up (module loading through tsx) included.\n` +
    `Profile: ${path.join(profileDir, file)}\n`;
  console.log(markdown);
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench', 'results', `${stamp}-profile-${scenario}${values.cached ? '-cached' : ''}.md`),
    markdown,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`bench:profile failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
