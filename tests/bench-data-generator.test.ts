import { describe, expect, it } from 'vitest';
import {
  createSamplers,
  datasetShape,
  generateArticle,
  generateCatalog,
  targetSlug,
} from '../bench/dataset/generate.ts';
import { createRandom, createZipf } from '../bench/dataset/prng.ts';
import { validateArticleDocument } from '../src/ingest/article-document.ts';

function generate(articles: number, seed: number) {
  const shape = datasetShape(articles);
  const catalog = generateCatalog(shape, seed);
  const samplers = createSamplers(shape);
  return Array.from({ length: articles }, (_, index) =>
    generateArticle(shape, catalog, samplers, seed, index),
  );
}

describe('the benchmark data generator', () => {
  it('gives the same documents for the same seed', () => {
    expect(JSON.stringify(generate(200, 7))).toBe(JSON.stringify(generate(200, 7)));
  });

  it('gives different documents for another seed', () => {
    const [a, b] = [generate(50, 7), generate(50, 8)];
    expect(a.map((doc) => doc.headline)).not.toEqual(b.map((doc) => doc.headline));
  });

  it('derives each article from the seed and its index alone, whatever the slice generated', () => {
    const shape = datasetShape(300);
    const catalog = generateCatalog(shape, 3);
    const samplers = createSamplers(shape);
    const all = generate(300, 3);
    expect(generateArticle(shape, catalog, samplers, 3, 250)).toEqual(all[250]);
    expect(all[250]!.slug).toBe(targetSlug(3, 250));
  });

  it('produces documents that pass ingest validation', () => {
    for (const document of generate(300, 11)) {
      const validation = validateArticleDocument(document);
      expect(validation.ok ? [] : validation.problems).toEqual([]);
    }
  });

  it('matches the issue shapes: ~4 KB bodies, ~5 quotes and ~3 related links per article', () => {
    const documents = generate(500, 5);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const bodyBytes = mean(
      documents.map((doc) =>
        doc.body.reduce((sum, block) => sum + ('text' in block ? Buffer.byteLength(block.text) : 0), 0),
      ),
    );
    expect(bodyBytes).toBeGreaterThan(3500);
    expect(bodyBytes).toBeLessThan(5000);
    expect(mean(documents.map((doc) => doc.quotes!.length))).toBeCloseTo(5, 0);
    expect(mean(documents.map((doc) => doc.relatedLinks!.length))).toBeCloseTo(3, 0);
    expect(datasetShape(100_000)).toMatchObject({
      sections: 50,
      tags: 2000,
      people: 20_000,
      organizations: 2000,
    });
  });

  it('makes a few tags dominate, as Zipf popularity does', () => {
    const counts = new Map<string, number>();
    for (const doc of generate(1000, 9))
      for (const tag of doc.tags!) counts.set(tag.slug, (counts.get(tag.slug) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(5 * sorted[Math.floor(sorted.length / 2)]!);
  });
});

describe('createZipf', () => {
  it('draws rank 0 most often and stays within range', () => {
    const zipf = createZipf(100);
    const random = createRandom(1);
    const draws = Array.from({ length: 5000 }, () => zipf(random));
    expect(Math.min(...draws)).toBe(0);
    expect(Math.max(...draws)).toBeLessThan(100);
    expect(draws.filter((d) => d === 0).length).toBeGreaterThan(draws.filter((d) => d === 50).length * 10);
  });

  it('rejects a non-positive size', () => {
    expect(() => createZipf(0)).toThrow('expected a positive integer n, got 0');
  });
});
