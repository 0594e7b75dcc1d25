import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ArticleDocument } from '../../src/ingest/article-document.ts';

let counter = 0;

/** A small valid article; every call a new slug unless given one. */
export function makeArticle(overrides: Partial<ArticleDocument> = {}): ArticleDocument {
  counter += 1;
  const slug = overrides.slug ?? `fixture-article-${counter}`;
  return {
    slug,
    headline: `Fixture headline ${counter}`,
    standfirst: 'A standfirst for testing.',
    publishedAt: new Date(Date.UTC(2024, 0, 1) + counter * 3_600_000).toISOString(),
    section: { slug: 'world', name: 'World' },
    tags: [{ slug: 'testing', name: 'Testing' }],
    leadImage: {
      url: `https://media.example/${slug}.jpg`,
      caption: 'A caption',
      credit: 'A credit',
      width: 800,
      height: 600,
    },
    authors: [{ slug: 'ada-writer', name: 'Ada Writer' }],
    people: [{ slug: 'sam-source', name: 'Sam Source', honorific: 'Dr.', role: 'analyst' }],
    organizations: [{ slug: 'acme-ministry', name: 'Acme Ministry' }],
    quotes: [
      {
        key: 'q1',
        text: 'The first thing said.',
        speaker: { person: 'sam-source' },
        context: 'in an interview',
      },
      {
        key: 'q2',
        text: 'The second thing said.',
        speaker: { organization: 'acme-ministry' },
        context: 'in a statement',
      },
    ],
    relatedLinks: [{ key: 'l1', title: 'Elsewhere', url: 'https://example.org/elsewhere', label: 'World' }],
    body: [
      { type: 'paragraph', text: '“The first thing said,” Sam Source said in an interview.', quotes: ['q1'] },
      { type: 'relatedLink', link: 'l1' },
      { type: 'paragraph', text: 'The ministry said “the second thing said.”', quotes: ['q2'] },
    ],
    ...overrides,
  };
}

/** Writes documents (or raw strings) as files in a new temporary directory; returns their paths. */
export async function writeArticleFiles(
  files: Record<string, ArticleDocument | string>,
): Promise<{ dir: string; paths: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'byline-ingest-'));
  const paths: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    paths.push(file);
  }
  return { dir, paths };
}
