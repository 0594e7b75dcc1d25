import type { ArticleDocument } from '../../src/ingest/article-document.ts';
import { createRandom, createZipf, distinctZipf, type Random } from './prng.ts';

/**
 * The pure part of `npm run bench:data`: a deterministic newsroom. The same seed and article count
 * give the same documents, byte for byte, on every machine; each article is derived from
 * (seed, index) alone, so any slice can be generated independently.
 */

export interface DatasetShape {
  readonly articles: number;
  readonly sections: number;
  readonly tags: number;
  readonly people: number;
  /** The first `journalists` people write articles; the others are sources. */
  readonly journalists: number;
  readonly organizations: number;
}

interface TermDocument {
  readonly slug: string;
  readonly name: string;
  readonly description?: string;
}
interface PersonDocument extends TermDocument {
  readonly honorific?: string;
  readonly aliases?: string[];
}

export interface Catalog {
  readonly sections: readonly TermDocument[];
  readonly tags: readonly TermDocument[];
  readonly people: readonly PersonDocument[];
  readonly organizations: readonly TermDocument[];
}

/** Shapes per the issue, per 100k articles: 50 sections, 2k tags, 20k people, 2k organizations. */
export function datasetShape(articles: number): DatasetShape {
  if (!Number.isInteger(articles) || articles < 1) {
    throw new Error(`expected a positive integer number of articles, got ${articles}`);
  }
  const scaled = (per100k: number, min: number) => Math.max(min, Math.round((per100k * articles) / 100_000));
  const people = scaled(20_000, 60);
  return {
    articles,
    sections: 50,
    tags: scaled(2_000, 30),
    people,
    journalists: Math.max(10, Math.round(people * 0.02)),
    organizations: scaled(2_000, 20),
  };
}

const WORDS = (
  'account action agency agreement aid alliance analysis army attack authority balance ballot border ' +
  'budget cabinet campaign capital ceasefire census charter city climate coalition coast command ' +
  'congress council court crisis deal debate defense delegation deputy diplomat district drought ' +
  'economy election embassy energy envoy export famine federal finance fleet forecast frontier ' +
  'governor grain harbor health housing industry inflation inquiry island justice labor ' +
  'law leader market mayor measure minister mission navy network ocean office oil order ' +
  'parliament party pipeline police policy port power president press province rail reform ' +
  'region report reserve revenue river road ruling sanction satellite school senate summit ' +
  'supply talks tariff tax trade treaty tribunal troops union valley vote wage water weather'
).split(' ');
const FIRST_NAMES = (
  'ada alan amara anna ben carla chen david elena emeka farah felix grace hana ibrahim irene ' +
  'jonas julia kai lena liam maya mikhail nadia noah olga omar priya rafael sara tomas yuki zara'
).split(' ');
const LAST_NAMES = (
  'abe alvarez bauer costa diallo evans fischer garcia haddad ito jensen kim kowalski larsen ' +
  'mendes moreau nakamura novak okafor petrov quinn rossi santos schmidt tanaka ueda volkov ' +
  'walker xu yilmaz zhang'
).split(' ');
const HONORIFICS = ['Dr.', 'Prof.', 'Gen.', 'Sen.', 'Amb.'];
const ROLES = ['analyst', 'spokesperson', 'minister', 'researcher', 'resident', 'official', 'economist'];

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

function words(random: Random, count: number): string[] {
  return Array.from({ length: count }, () => random.pick(WORDS));
}

function sentence(random: Random, min: number, max: number): string {
  const text = words(random, random.int(min, max)).join(' ');
  return `${capitalize(text)}.`;
}

function paragraph(random: Random, targetChars: number): string {
  const sentences: string[] = [];
  let length = 0;
  while (length < targetChars) {
    const next = sentence(random, 8, 18);
    sentences.push(next);
    length += next.length + 1;
  }
  return sentences.join(' ');
}

/** Mixes the seed and a salt into a new 32-bit seed, so each entity has a stream of its own. */
export function deriveSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function generateCatalog(shape: DatasetShape, seed: number): Catalog {
  const random = createRandom(deriveSeed(seed, -1));
  const term = (kind: string, index: number, nameWords: number): TermDocument => {
    const name = words(random, nameWords).map(capitalize).join(' ');
    const slug = `${kind}-${index}-${name.toLowerCase().replaceAll(' ', '-')}`;
    return random.chance(0.7) ? { slug, name, description: sentence(random, 6, 14) } : { slug, name };
  };
  const sections = Array.from({ length: shape.sections }, (_, i) => term('section', i, 1));
  const tags = Array.from({ length: shape.tags }, (_, i) => term('tag', i, 2));
  const organizations = Array.from({ length: shape.organizations }, (_, i) => term('org', i, 2));
  const people = Array.from({ length: shape.people }, (_, i): PersonDocument => {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const name = `${capitalize(first)} ${capitalize(last)}`;
    return {
      slug: `${first}-${last}-${i}`,
      name,
      ...(random.chance(0.1) && { honorific: random.pick(HONORIFICS) }),
      ...(random.chance(0.8) && { description: sentence(random, 3, 8) }),
      ...(random.chance(0.2) && { aliases: [`${capitalize(first).charAt(0)}. ${capitalize(last)}`] }),
    };
  });
  return { sections, tags, people, organizations };
}

/** Popularity samplers over the catalog, shared by every article of a data set. */
export interface Samplers {
  readonly section: (random: Random) => number;
  readonly tag: (random: Random) => number;
  readonly source: (random: Random) => number;
  readonly journalist: (random: Random) => number;
  readonly organization: (random: Random) => number;
}

export function createSamplers(shape: DatasetShape): Samplers {
  return {
    section: createZipf(shape.sections, 0.6),
    tag: createZipf(shape.tags),
    source: createZipf(shape.people - shape.journalists),
    journalist: createZipf(shape.journalists),
    organization: createZipf(shape.organizations),
  };
}

// Articles are 15 minutes apart, the newest at this instant: fixed, so the data never depends on the clock.
const NEWEST = Date.parse('2026-01-01T00:00:00Z');
const SPACING_MS = 15 * 60 * 1000;

export function articleSlug(index: number): string {
  return `story-${String(index).padStart(6, '0')}`;
}

/** Whether article `index` is a draft: about 1 in 100, derived from the seed alone. */
export function isDraft(seed: number, index: number): boolean {
  return createRandom(deriveSeed(seed, index * 7 + 3)).chance(0.01);
}

export function generateArticle(
  shape: DatasetShape,
  catalog: Catalog,
  samplers: Samplers,
  seed: number,
  index: number,
): ArticleDocument {
  const random = createRandom(deriveSeed(seed, index));
  const slug = `${articleSlug(index)}-${words(random, 3).join('-')}`;
  const draft = isDraft(seed, index);
  const publishedAt = new Date(NEWEST - (shape.articles - 1 - index) * SPACING_MS).toISOString();

  const section = catalog.sections[samplers.section(random)]!;
  const tags = distinctZipf(random, samplers.tag, shape.tags, random.int(2, 6)).map((i) => catalog.tags[i]!);
  const authors = distinctZipf(random, samplers.journalist, shape.journalists, random.int(1, 2)).map(
    (i) => catalog.people[i]!,
  );
  const sources = distinctZipf(
    random,
    samplers.source,
    shape.people - shape.journalists,
    random.int(2, 6),
  ).map((i) => catalog.people[shape.journalists + i]!);
  const organizations = distinctZipf(
    random,
    samplers.organization,
    shape.organizations,
    random.int(1, 3),
  ).map((i) => catalog.organizations[i]!);

  const quotes = Array.from({ length: random.int(3, 7) }, (_, q) => {
    const roll = random.next();
    const speaker =
      roll < 0.7
        ? { person: random.pick(sources).slug }
        : roll < 0.9
          ? { organization: random.pick(organizations).slug }
          : { name: `a ${random.pick(ROLES)}` };
    return {
      key: `q${q}`,
      text: sentence(random, 10, 30),
      speaker,
      ...(random.chance(0.5) && {
        context: `in ${random.pick(['a statement', 'an interview', 'a briefing'])}`,
      }),
    };
  });
  const relatedLinks = Array.from({ length: random.int(1, 5) }, (_, l) => {
    const title = capitalize(words(random, random.int(4, 9)).join(' '));
    const label = capitalize(random.pick(WORDS));
    if (index > 0 && random.chance(0.8)) {
      // Another of ours, published earlier, addressed by slug: ingest resolves it to the article.
      const target = random.int(Math.max(0, index - 5000), index - 1);
      return { key: `l${l}`, title, label, article: targetSlug(seed, target) };
    }
    return {
      key: `l${l}`,
      title,
      label,
      url: `https://elsewhere.example/${words(random, 3).join('/')}`,
      image: { url: `https://media.bench.byline.example/links/${index}-${l}.jpg`, alt: title },
    };
  });

  // About 4 KB of text: eight paragraphs with a heading, an image, a pull quote and a link card.
  type Block = ArticleDocument['body'][number];
  const paragraphTexts = Array.from({ length: 8 }, () => paragraph(random, random.int(380, 520)));
  const placed: string[][] = paragraphTexts.map(() => []);
  const pullQuote = quotes[0]!.key;
  quotes.slice(1).forEach((quote, q) => placed[(q * 2) % placed.length]!.push(quote.key));
  const paragraphs = paragraphTexts.map((text, p): Block =>
    placed[p]!.length > 0 ? { type: 'paragraph', text, quotes: placed[p]! } : { type: 'paragraph', text },
  );
  const body: Block[] = [
    ...paragraphs.slice(0, 2),
    { type: 'heading', text: capitalize(words(random, 4).join(' ')), level: 2 },
    ...paragraphs.slice(2, 4),
    {
      type: 'image',
      image: {
        url: `https://media.bench.byline.example/body/${index}.jpg`,
        width: 1200,
        height: 800,
        caption: sentence(random, 5, 10),
        alt: sentence(random, 4, 8),
      },
    },
    ...paragraphs.slice(4, 6),
    { type: 'quote', quote: pullQuote },
    ...paragraphs.slice(6, 7),
    { type: 'relatedLink', link: relatedLinks[0]!.key },
    ...paragraphs.slice(7),
  ];

  return {
    slug,
    ...(draft ? { status: 'draft' } : { status: 'published', publishedAt }),
    language: 'en',
    headline: capitalize(words(random, random.int(6, 12)).join(' ')),
    ...(random.chance(0.8) && { standfirst: sentence(random, 15, 30) }),
    section,
    tags,
    ...(random.chance(0.95) && {
      leadImage: {
        url: `https://media.bench.byline.example/lead/${index}.jpg`,
        width: 1920,
        height: 1080,
        caption: sentence(random, 6, 12),
        credit: `© ${capitalize(random.pick(WORDS))} Agency`,
        alt: sentence(random, 5, 10),
      },
    }),
    authors,
    people: sources.map((person) =>
      random.chance(0.6) ? { ...person, role: random.pick(ROLES) } : { ...person },
    ),
    organizations,
    quotes,
    relatedLinks,
    body,
  };
}

/** The slug of article `index`, without generating the rest of it. */
export function targetSlug(seed: number, index: number): string {
  const random = createRandom(deriveSeed(seed, index));
  return `${articleSlug(index)}-${words(random, 3).join('-')}`;
}
