/**
 * `npm run bench:import [-- --rounds 5 --seconds 2]`
 *
 * How many pages per second one core turns into documents with `importPage` (decode, extract,
 * quotes and people, build, validate): a typical ~10 KB HTML article page (bench/import/news-page.ts),
 * the same page without its <article> element (its text in one <div>: the paragraph container), the
 * same text split over several <div>s (Readability's scoring), the seed text dump, and the
 * whole development set (tests/import-corpus). Each is run for `seconds` per round; the table gives
 * the median of the rounds, by CPU time of this process (what "per core" means on a shared machine)
 * beside wall-clock time. Target: 200 pages/s per core on the typical page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importPage } from '../../src/import/import-page.ts';
import { newsPage } from './news-page.ts';

const TARGET = 200;
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '2' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const corpusDir = fileURLToPath(new URL('../../tests/import-corpus/', import.meta.url));
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.txt'))
  .map((name) => readFileSync(path.join(corpusDir, name)));
const typical = Buffer.from(newsPage({ filler: 30 }));
const kb = (page: Buffer) => `${(page.length / 1024).toFixed(1)} KB`;
// The same page without its <article>: its text in one <div>, found by the paragraph container.
const undeclared = Buffer.from(
  typical
    .toString()
    .replace('<article class="story">', '<div class="story">')
    .replace('</article>', '</div>'),
);
// … and split over several <div>s, so no one element holds it: Readability's scoring finds it.
const scattered = Buffer.from(
  undeclared
    .toString()
    .replace(
      /(<p>The harbor board's minutes for session (?:5|10|15|20|25) )/g,
      '</div><div class="story-part">$1',
    ),
);
const cases: { name: string; pages: Buffer[] }[] = [
  { name: `HTML article page, <article> (${kb(typical)})`, pages: [typical] },
  { name: `HTML article page, no <article> (${kb(undeclared)})`, pages: [undeclared] },
  { name: `HTML article page, Readability (${kb(scattered)})`, pages: [scattered] },
  {
    name: 'seed text dump (6 KB)',
    pages: [readFileSync(path.join(corpusDir, 'sputnik-2024-06-22-russia-north-korea-pact.txt'))],
  },
  { name: `development set (${corpus.length} text pages)`, pages: corpus },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function round(pages: Buffer[]): { cpu: number; wall: number } {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let done = 0;
  while (performance.now() - wallStart < seconds * 1000) {
    for (const page of pages) {
      const result = importPage(page);
      if (!result.ok) throw new Error(`bench page failed: ${result.error}`);
      done += 1;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    cpu: done / ((cpu.user + cpu.system) / 1e6),
    wall: done / ((performance.now() - wallStart) / 1000),
  };
}

const rows: string[][] = [];
for (const { name, pages } of cases) {
  for (let i = 0; i < 200; i += 1) importPage(pages[i % pages.length]!); // warm the JIT
  const results = Array.from({ length: rounds }, () => round(pages));
  const cpu = median(results.map((r) => r.cpu));
  const wall = median(results.map((r) => r.wall));
  rows.push([name, cpu.toFixed(0), wall.toFixed(0), (1000 / cpu).toFixed(2)]);
}
const header = ['case', 'pages/s per core (CPU)', 'pages/s (wall)', 'ms CPU per page'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
// The target holds for each typical HTML page, however the story is found.
const htmlRates = rows.slice(0, 3).map((row) => Number(row[1]));
const met = htmlRates.every((rate) => rate >= TARGET);
console.log(
  `\nmedian of ${rounds} rounds of ${seconds} s; target ${TARGET} pages/s per core on the typical HTML page (each of the first three cases): ${met ? 'met' : 'NOT met'} (${htmlRates.join(', ')})`,
);
process.exitCode = met ? 0 : 1;
