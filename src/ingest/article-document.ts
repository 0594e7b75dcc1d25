import { z } from 'zod';
import { MEDIA_PATH } from '../shared/media-url.ts';
import { markProblems, type TextMark } from '../shared/rich-text.ts';

/**
 * The JSON article format (`docs/content-format.md`), as a schema. Cross-references (quote keys,
 * speaker slugs, link keys) are checked after the shape, in `validateArticleDocument`.
 */

const slug = z
  .string()
  .max(200)
  .regex(
    /^[a-z0-9]+(-[a-z0-9]+)*$/,
    'expected a slug: lowercase letters, digits and single hyphens, like "gerald-horne"',
  );
const text = (max: number) => z.string().trim().min(1, 'expected non-empty text').max(max);
const dateTime = z.iso.datetime({
  offset: true,
  message: 'expected an ISO 8601 date-time with offset, like "2024-06-22T00:00:00Z"',
});
const httpUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    'expected an absolute http(s) URL',
  );

/** An image: anywhere on the web, or one of the files Byline serves under /media/ (src/shared/media-url.ts). */
const imageUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => MEDIA_PATH.test(value) || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
    'expected an absolute http(s) URL, or a path of a file Byline serves like "/media/demo/harbour.svg"',
  );

const image = z.strictObject({
  url: imageUrl,
  width: z.number().int().positive().max(100_000).optional(),
  height: z.number().int().positive().max(100_000).optional(),
  caption: text(2000).optional(),
  credit: text(500).optional(),
  alt: text(2000).optional(),
});

const term = z.strictObject({ slug, name: text(200), description: text(2000).optional() });

const person = z.strictObject({
  slug,
  name: text(200),
  honorific: text(50).optional(),
  description: text(2000).optional(),
  aliases: z.array(text(200)).max(50).optional(),
});

const mention = person.extend({ role: text(500).optional() });

const speaker = z.union(
  [
    z.strictObject({ person: slug }),
    z.strictObject({ organization: slug }),
    z.strictObject({ name: text(300) }),
  ],
  { error: 'expected exactly one of "person", "organization", "name"' },
);

const key = z.string().min(1).max(100);

const quote = z.strictObject({ key, text: text(10_000), speaker, context: text(500).optional() });

const relatedLink = z
  .strictObject({
    key,
    title: text(300),
    url: httpUrl.optional(),
    article: slug.optional(),
    label: text(100).optional(),
    image: image.optional(),
  })
  .refine((link) => link.url !== undefined || link.article !== undefined, {
    message: 'expected "url" or "article" (or both)',
  });

const correction = z.strictObject({ at: dateTime, text: text(2000) });

const offset = z.number().int('expected an integer offset').min(0, 'expected an offset of 0 or more');

/** A span of a text with a style or link (src/shared/rich-text.ts); offsets in UTF-16 code units. */
const mark = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('link'),
      start: offset,
      end: offset,
      href: z.string().max(2048),
      article: slug.optional(),
    }),
    z.strictObject({ type: z.literal('emphasis'), start: offset, end: offset }),
    z.strictObject({ type: z.literal('strong'), start: offset, end: offset }),
  ],
  { error: 'expected a mark whose "type" is link, emphasis or strong' },
);

/** Checks marks against the text they sit on (after it is trimmed), reporting at the mark's path. */
function withValidMarks<T extends { text: string; marks?: TextMark[] | undefined }>(
  value: T,
  context: z.core.$RefinementCtx<T>,
): void {
  if (!value.marks) return;
  for (const problem of markProblems(value.text, value.marks)) {
    context.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
  }
}

const marks = z.array(mark).max(2000).optional();

const listItem = z.strictObject({ text: text(10_000), marks }).superRefine(withValidMarks);

const block = z.discriminatedUnion(
  'type',
  [
    z
      .strictObject({
        type: z.literal('paragraph'),
        text: text(50_000),
        marks,
        quotes: z.array(key).optional(),
      })
      .superRefine(withValidMarks),
    z.strictObject({
      type: z.literal('heading'),
      text: text(500),
      level: z.number().int().min(2).max(6).optional(),
    }),
    z.strictObject({ type: z.literal('quote'), quote: key }),
    z.strictObject({ type: z.literal('image'), image }),
    z.strictObject({ type: z.literal('relatedLink'), link: key }),
    z.strictObject({
      type: z.literal('list'),
      ordered: z.boolean().optional(),
      items: z.array(listItem).min(1, 'expected at least one item').max(1000),
    }),
  ],
  { error: 'expected a block whose "type" is paragraph, heading, quote, image, relatedLink or list' },
);

export const articleDocumentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    sourceId: z
      .string()
      .min(1, 'expected a non-empty id')
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces, like "cms:48213"')
      .optional(),
    slug,
    url: httpUrl.optional(),
    status: z.enum(['published', 'draft']).optional(),
    publishedAt: dateTime.optional(),
    updatedAt: dateTime.optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a BCP 47 language tag, like "en" or "en-GB"')
      .optional(),
    headline: text(300),
    standfirst: text(1000).optional(),
    section: term,
    tags: z.array(term).max(100).optional(),
    leadImage: image.optional(),
    authors: z.array(person).max(50).optional(),
    people: z.array(mention).max(500).optional(),
    organizations: z.array(term).max(500).optional(),
    quotes: z.array(quote).max(1000).optional(),
    relatedLinks: z.array(relatedLink).max(200).optional(),
    body: z.array(block).min(1, 'expected at least one block').max(5000),
    corrections: z.array(correction).max(100).optional(),
  })
  .refine((doc) => doc.status === 'draft' || doc.publishedAt !== undefined, {
    message: 'expected "publishedAt" on a published article',
    path: ['publishedAt'],
  });

export type ArticleDocument = z.infer<typeof articleDocumentSchema>;
export type ImageDocument = z.infer<typeof image>;
export type BlockDocument = ArticleDocument['body'][number];

export interface ValidationProblem {
  /** JSON path, like `$.quotes[2].speaker`. */
  readonly path: string;
  readonly message: string;
}

export function jsonPath(path: readonly PropertyKey[]): string {
  return (
    '$' +
    path
      .map((part) =>
        typeof part === 'number'
          ? `[${part}]`
          : /^[A-Za-z_$][\w$]*$/.test(String(part))
            ? `.${String(part)}`
            : `[${JSON.stringify(String(part))}]`,
      )
      .join('')
  );
}

/** Shape first, then every cross-reference; returns the document or every problem found. */
export function validateArticleDocument(
  input: unknown,
): { ok: true; document: ArticleDocument } | { ok: false; problems: ValidationProblem[] } {
  const parsed = articleDocumentSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        path: jsonPath(issue.path),
        message: issueMessage(issue),
      })),
    };
  }
  const problems = checkReferences(parsed.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, document: parsed.data };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: /, '');
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((value) => seen.has(value) || !seen.add(value)))];
}

function checkReferences(doc: ArticleDocument): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const problem = (path: readonly PropertyKey[], message: string) =>
    problems.push({ path: jsonPath(path), message });
  const list = (values: Iterable<string>) => [...values].join(', ') || 'none';

  const people = new Map<string, { name: string }>();
  for (const [field, entries] of [
    ['authors', doc.authors ?? []],
    ['people', doc.people ?? []],
  ] as const) {
    entries.forEach((entry, index) => {
      const known = people.get(entry.slug);
      if (known && known.name !== entry.name) {
        problem(
          [field, index, 'name'],
          `expected "${known.name}" as elsewhere in this file for person "${entry.slug}", got "${entry.name}"`,
        );
      }
      people.set(entry.slug, entry);
    });
  }
  for (const [field, values] of [
    ['people', (doc.people ?? []).map((p) => p.slug)],
    ['authors', (doc.authors ?? []).map((p) => p.slug)],
    ['tags', (doc.tags ?? []).map((t) => t.slug)],
    ['organizations', (doc.organizations ?? []).map((o) => o.slug)],
    ['quotes', (doc.quotes ?? []).map((q) => q.key)],
    ['relatedLinks', (doc.relatedLinks ?? []).map((l) => l.key)],
  ] as const) {
    for (const value of duplicates(values)) problem([field], `expected unique entries, got "${value}" twice`);
  }
  const organizations = new Set((doc.organizations ?? []).map((o) => o.slug));
  doc.quotes?.forEach((quote, index) => {
    const { speaker } = quote;
    if ('person' in speaker && !people.has(speaker.person)) {
      problem(
        ['quotes', index, 'speaker', 'person'],
        `unknown person "${speaker.person}": expected a slug listed in "people" or "authors" (${list(people.keys())})`,
      );
    }
    if ('organization' in speaker && !organizations.has(speaker.organization)) {
      problem(
        ['quotes', index, 'speaker', 'organization'],
        `unknown organization "${speaker.organization}": expected a slug listed in "organizations" (${list(organizations)})`,
      );
    }
  });
  doc.relatedLinks?.forEach((link, index) => {
    if (link.article === doc.slug)
      problem(['relatedLinks', index, 'article'], 'expected another article, got this article itself');
  });

  const quoteKeys = new Set((doc.quotes ?? []).map((q) => q.key));
  const linkKeys = new Set((doc.relatedLinks ?? []).map((l) => l.key));
  const placed = new Map<string, number>();
  const place = (quoteKey: string, path: readonly PropertyKey[]) => {
    if (!quoteKeys.has(quoteKey))
      return problem(path, `unknown quote key "${quoteKey}" (keys are: ${list(quoteKeys)})`);
    if (placed.has(quoteKey))
      return problem(
        path,
        `quote "${quoteKey}" is already placed in body[${placed.get(quoteKey)}]: expected each quote placed once`,
      );
    placed.set(quoteKey, path[1] as number);
  };
  doc.body.forEach((block, index) => {
    if (block.type === 'paragraph') block.quotes?.forEach((k, i) => place(k, ['body', index, 'quotes', i]));
    if (block.type === 'quote') place(block.quote, ['body', index, 'quote']);
    if (block.type === 'relatedLink' && !linkKeys.has(block.link)) {
      problem(
        ['body', index, 'link'],
        `unknown related link key "${block.link}" (keys are: ${list(linkKeys)})`,
      );
    }
  });
  doc.quotes?.forEach((quote, index) => {
    if (!placed.has(quote.key)) {
      problem(
        ['quotes', index],
        `quote "${quote.key}" is not placed in the body: expected it in a paragraph's "quotes" or a quote block`,
      );
    }
  });
  if (doc.publishedAt && doc.updatedAt && Date.parse(doc.updatedAt) < Date.parse(doc.publishedAt)) {
    problem(
      ['updatedAt'],
      `expected a date-time at or after publishedAt (${doc.publishedAt}), got ${doc.updatedAt}`,
    );
  }
  return problems;
}
