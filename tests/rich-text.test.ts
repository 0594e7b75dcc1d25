import { describe, expect, it } from 'vitest';
import { validateArticleDocument, type ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { richTextHtml, safeHref, type TextMark } from '../src/shared/rich-text.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { assertInert, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { testPartner, viewersByHeader } from './helpers/viewers.ts';

const RICH_TEXT = 'Read the harbour report and the tide tables, or ask the pilots.';
const span = (words: string) => ({
  start: RICH_TEXT.indexOf(words),
  end: RICH_TEXT.indexOf(words) + words.length,
});

/** A paragraph with links to one of our articles (by path, by canonical URL, by slug) and elsewhere. */
const rich: ArticleDocument = makeArticle({
  slug: 'rich-paragraphs',
  headline: 'Where the tide tables come from',
  quotes: [],
  people: [],
  organizations: [],
  relatedLinks: [],
  body: [
    {
      type: 'paragraph',
      text: RICH_TEXT,
      marks: [
        { type: 'link', ...span('harbour report'), href: '/articles/rich-target' },
        { type: 'emphasis', ...span('harbour') },
        { type: 'link', ...span('tide tables'), href: 'https://tides.example/tables?a=1&b=2' },
        { type: 'strong', ...span('ask the pilots') },
        { type: 'link', ...span('pilots'), href: `${TEST_PUBLIC_URL}/articles/rich-draft` },
      ],
    },
    { type: 'paragraph', text: 'A plain paragraph stays a string.' },
    {
      type: 'list',
      ordered: true,
      items: [
        { text: 'Check the gauge.', marks: [{ type: 'emphasis', start: 10, end: 15 }] },
        {
          text: 'Read the draft story.',
          marks: [
            { type: 'link', start: 9, end: 20, href: 'https://tides.example/draft', article: 'rich-draft' },
          ],
        },
      ],
    },
    { type: 'list', items: [{ text: 'Unnumbered item with the word gannet.' }] },
  ],
});

const target = makeArticle({
  slug: 'rich-target',
  headline: 'The harbour report',
  quotes: [],
  people: [],
  organizations: [],
  relatedLinks: [],
  body: [{ type: 'paragraph', text: 'The report itself.' }],
});

const draft = makeArticle({
  slug: 'rich-draft',
  status: 'draft',
  headline: 'A draft about the pilots',
  quotes: [],
  people: [],
  organizations: [],
  relatedLinks: [],
  body: [{ type: 'paragraph', text: 'Not yet.' }],
});

/** Hostile text and a hostile (but well-formed http) href: everything must come out escaped. */
const hostileText = 'Click <script>alert(1)</script> or <img src=x onerror="alert(2)"> here';
const hostile = makeArticle({
  slug: 'rich-hostile',
  headline: 'Hostile rich text',
  quotes: [],
  people: [],
  organizations: [],
  relatedLinks: [],
  body: [
    {
      type: 'paragraph',
      text: hostileText,
      marks: [
        { type: 'link', start: 0, end: 5, href: 'https://evil.example/"><script>alert(3)</script>' },
        { type: 'strong', start: hostileText.indexOf('<img'), end: hostileText.length },
      ],
    },
    { type: 'list', items: [{ text: '<script>alert(4)</script> onerror=alert(5)' }] },
  ],
});

function problemsOf(document: unknown): { path: string; message: string }[] {
  const result = validateArticleDocument(document);
  return result.ok ? [] : result.problems;
}

function withMarks(marks: unknown[], text = 'Some words here.'): unknown {
  return makeArticle({ quotes: [], body: [{ type: 'paragraph', text, marks } as never] });
}

describe('validateArticleDocument: rich text', () => {
  it('accepts marks that nest or stay apart, and list blocks', () => {
    expect(problemsOf(rich)).toEqual([]);
    expect(problemsOf(hostile)).toEqual([]);
  });

  it('accepts a paragraph without marks exactly as before', () => {
    expect(problemsOf(makeArticle({ quotes: [], body: [{ type: 'paragraph', text: 'Plain.' }] }))).toEqual(
      [],
    );
  });

  it('refuses marks outside the text, empty or splitting a character, naming the mark', () => {
    expect(problemsOf(withMarks([{ type: 'emphasis', start: 5, end: 99 }]))).toEqual([
      {
        path: '$.body[0].marks[0].end',
        message: "expected an offset at most the text's length (16 UTF-16 code units), got 99",
      },
    ]);
    expect(problemsOf(withMarks([{ type: 'strong', start: 4, end: 4 }]))).toEqual([
      {
        path: '$.body[0].marks[0]',
        message: 'expected a non-empty span (start < end), got start 4 and end 4',
      },
    ]);
    expect(problemsOf(withMarks([{ type: 'strong', start: -1, end: 4 }]))).toEqual([
      { path: '$.body[0].marks[0].start', message: 'expected an offset of 0 or more' },
    ]);
    expect(problemsOf(withMarks([{ type: 'emphasis', start: 0, end: 1 }], '🌊 wave'))).toEqual([
      {
        path: '$.body[0].marks[0]',
        message: 'expected offsets between characters, got 1, inside a surrogate pair',
      },
    ]);
    expect(problemsOf(withMarks([{ type: 'underline', start: 0, end: 1 }]))).toEqual([
      {
        path: '$.body[0].marks[0].type',
        message: 'expected a mark whose "type" is link, emphasis or strong',
      },
    ]);
  });

  it('refuses marks that cross, and two marks of one type that overlap', () => {
    expect(
      problemsOf(
        withMarks([
          { type: 'emphasis', start: 0, end: 10 },
          { type: 'strong', start: 5, end: 15 },
        ]),
      ),
    ).toEqual([
      {
        path: '$.body[0].marks[1]',
        message: 'expected marks that nest or stay apart: strong 5–15 overlaps marks[0], emphasis 0–10',
      },
    ]);
    expect(
      problemsOf(
        withMarks([
          { type: 'link', start: 0, end: 10, href: 'https://a.example/' },
          { type: 'link', start: 2, end: 4, href: 'https://b.example/' },
        ]),
      ),
    ).toEqual([
      {
        path: '$.body[0].marks[1]',
        message:
          'expected marks that nest or stay apart (two link marks never overlap): link 2–4 overlaps marks[0], link 0–10',
      },
    ]);
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\u0000javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '//evil.example/x',
    '/\\evil.example/x',
    'https:\\\\evil.example',
    'https://evil.example/a b',
    'mailto:someone@example.com',
    'relative/path',
    '',
  ])('refuses the href %j on a link mark, naming it', (href) => {
    const problems = problemsOf(withMarks([{ type: 'link', start: 0, end: 4, href }]));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('$.body[0].marks[0].href');
    expect(problems[0]!.message).toMatch(/^expected an absolute http\(s\) URL or a path starting with "\/"/);
  });

  it('checks list items as it checks paragraphs, with the item in the path', () => {
    const document = makeArticle({
      quotes: [],
      body: [
        {
          type: 'list',
          items: [
            { text: 'One.' },
            { text: 'Two.', marks: [{ type: 'link', start: 0, end: 3, href: 'data:x' }] },
          ],
        },
      ],
    });
    expect(problemsOf(document).map((problem) => problem.path)).toEqual(['$.body[0].items[1].marks[0].href']);
    expect(problemsOf(makeArticle({ quotes: [], body: [{ type: 'list', items: [] }] }))).toEqual([
      { path: '$.body[0].items', message: 'expected at least one item' },
    ]);
  });
});

describe('safeHref', () => {
  it('keeps absolute http(s) URLs and root-relative paths as given', () => {
    expect(safeHref('https://tides.example/a?b=1#c')).toBe('https://tides.example/a?b=1#c');
    expect(safeHref('HTTP://tides.example/')).toBe('HTTP://tides.example/');
    expect(safeHref('/articles/rich-target')).toBe('/articles/rich-target');
  });
});

describe('richTextHtml', () => {
  const html = (text: string, marks: TextMark[]) => richTextHtml({ text, marks }, TEST_PUBLIC_URL);

  it('nests marks over the same span with the link outermost', () => {
    expect(
      html('abc', [
        { type: 'emphasis', start: 0, end: 3 },
        { type: 'link', start: 0, end: 3, href: '/x' },
        { type: 'strong', start: 0, end: 3 },
      ]),
    ).toBe(`<a href="${TEST_PUBLIC_URL}/x" rel="noopener"><strong><em>abc</em></strong></a>`);
  });

  it('escapes the text and the href, and prints an unsafe link as its text', () => {
    expect(
      html('<b>"x"</b> & y', [
        { type: 'link', start: 0, end: 3, href: 'https://a.example/?q="><script>' },
        { type: 'link', start: 11, end: 14, href: 'javascript:alert(1)' },
      ]),
    ).toBe(
      '<a href="https://a.example/?q=&quot;&gt;&lt;script&gt;" rel="noopener">&lt;b&gt;</a>&quot;x&quot;&lt;/b&gt; &amp; y',
    );
  });
});

describeEachEngine('rich paragraphs and lists', (engine) => {
  const gateway = useGateway(engine, {
    articles: [target, draft, rich, hostile],
    viewer: viewersByHeader({ preview: testPartner(1, { scopes: ['preview', 'body'] }) }),
  });

  const BODY = `query ($slug: String!) { article(slug: $slug) { wordCount body {
    __typename
    ... on ParagraphBlock { text html marks { type start end href targetArticle { slug } } }
    ... on ListBlock { ordered items { text html marks { type start end href targetArticle { slug } } } }
  } } }`;
  const bodyOf = async (slug: string, viewer?: 'preview') =>
    untyped(
      (
        await gateway.graphql(BODY, {
          variables: { slug },
          ...(viewer ? { headers: { 'x-test-viewer': viewer } } : {}),
        })
      ).body,
    );

  describe('ParagraphBlock', () => {
    it('gives the text unchanged, its marks with absolute hrefs, and the sanitized html', async () => {
      const { data, errors } = await bodyOf('rich-paragraphs');
      expect(errors).toBeUndefined();
      const [paragraph, plain] = data.article.body;
      expect(paragraph.text).toBe(RICH_TEXT);
      expect(paragraph.marks).toEqual([
        {
          type: 'LINK',
          ...span('harbour report'),
          href: `${TEST_PUBLIC_URL}/articles/rich-target`,
          targetArticle: { slug: 'rich-target' },
        },
        { type: 'EMPHASIS', ...span('harbour'), href: null, targetArticle: null },
        {
          type: 'LINK',
          ...span('tide tables'),
          href: 'https://tides.example/tables?a=1&b=2',
          targetArticle: null,
        },
        { type: 'STRONG', ...span('ask the pilots'), href: null, targetArticle: null },
        // A link to a draft: the link stays, its target is not visible to this caller.
        {
          type: 'LINK',
          ...span('pilots'),
          href: `${TEST_PUBLIC_URL}/articles/rich-draft`,
          targetArticle: null,
        },
      ]);
      expect(paragraph.html).toBe(
        `Read the <a href="${TEST_PUBLIC_URL}/articles/rich-target" rel="noopener"><em>harbour</em> report</a> and the ` +
          '<a href="https://tides.example/tables?a=1&amp;b=2" rel="noopener">tide tables</a>, or ' +
          `<strong>ask the <a href="${TEST_PUBLIC_URL}/articles/rich-draft" rel="noopener">pilots</a></strong>.`,
      );
      expect(plain).toEqual({
        __typename: 'ParagraphBlock',
        text: 'A plain paragraph stays a string.',
        html: 'A plain paragraph stays a string.',
        marks: [],
      });
    });

    it('resolves a link to a draft for a caller who may preview it', async () => {
      const { data } = await bodyOf('rich-paragraphs', 'preview');
      expect(data.article.body[0].marks[4].targetArticle).toEqual({ slug: 'rich-draft' });
      expect(data.article.body[2].items[1].marks[0].targetArticle).toEqual({ slug: 'rich-draft' });
    });

    it('escapes script and event handlers in text and href', async () => {
      const { data } = await bodyOf('rich-hostile');
      const [paragraph, list] = data.article.body;
      expect(paragraph.html).toBe(
        '<a href="https://evil.example/&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;" rel="noopener">Click</a> ' +
          '&lt;script&gt;alert(1)&lt;/script&gt; or <strong>&lt;img src=x onerror=&quot;alert(2)&quot;&gt; here</strong>',
      );
      expect(list.items[0].html).toBe('&lt;script&gt;alert(4)&lt;/script&gt; onerror=alert(5)');
    });
  });

  describe('ListBlock', () => {
    it('gives ordered and unordered lists with rich items; the link names its target article', async () => {
      const { data } = await bodyOf('rich-paragraphs');
      const [, , ordered, bulleted] = data.article.body;
      expect(ordered).toEqual({
        __typename: 'ListBlock',
        ordered: true,
        items: [
          {
            text: 'Check the gauge.',
            html: 'Check the <em>gauge</em>.',
            marks: [{ type: 'EMPHASIS', start: 10, end: 15, href: null, targetArticle: null }],
          },
          {
            text: 'Read the draft story.',
            html: 'Read the <a href="https://tides.example/draft" rel="noopener">draft story</a>.',
            marks: [
              { type: 'LINK', start: 9, end: 20, href: 'https://tides.example/draft', targetArticle: null },
            ],
          },
        ],
      });
      expect(bulleted).toMatchObject({
        ordered: false,
        items: [{ text: 'Unnumbered item with the word gannet.' }],
      });
    });

    it('counts list items in the word count and finds them by search', async () => {
      const { data } = await bodyOf('rich-paragraphs');
      // 12 + 6 words of paragraphs, 3 + 4 + 6 of list items.
      expect(data.article.wordCount).toBe(31);
      const found = untyped((await gateway.graphql('{ search(query: "gannet") { nodes { slug } } }')).body);
      expect(found.errors).toBeUndefined();
      expect(found.data.search.nodes).toEqual([{ slug: 'rich-paragraphs' }]);
    });
  });

  describe('GET /articles/:slug', () => {
    it('prints rich paragraphs and lists with the html GraphQL gives', async () => {
      const { data } = await bodyOf('rich-paragraphs');
      const html = await (await fetch(`${gateway.origin}/articles/rich-paragraphs`)).text();
      expect(html).toContain(`<p>${data.article.body[0].html}</p>`);
      expect(html).toContain(
        `<ol><li>Check the <em>gauge</em>.</li><li>${data.article.body[2].items[1].html}</li></ol>`,
      );
      expect(html).toContain('<ul><li>Unnumbered item with the word gannet.</li></ul>');
      assertInert(html);
    });

    it('never prints script or an event handler from rich text', async () => {
      const html = await (await fetch(`${gateway.origin}/articles/rich-hostile`)).text();
      expect(html).not.toMatch(/<script>alert|<img src=x|onerror="/);
      expect(html).toContain('<ul><li>&lt;script&gt;alert(4)&lt;/script&gt; onerror=alert(5)</li></ul>');
      assertInert(html);
    });
  });

  describe('ingest', () => {
    it('stores a rich document as given: reading it back gives the same text and marks', async () => {
      const { data } = await bodyOf('rich-paragraphs');
      // The document's marks as GraphQL gives them: type in capitals, a relative href made absolute.
      const asGiven = (marks: readonly TextMark[] = []) =>
        marks.map((mark) => ({
          type: mark.type.toUpperCase(),
          start: mark.start,
          end: mark.end,
          href:
            mark.type === 'link'
              ? mark.href.startsWith('/')
                ? TEST_PUBLIC_URL + mark.href
                : mark.href
              : null,
        }));
      const read = (marks: any[]) => marks.map(({ targetArticle: _target, ...mark }) => mark);
      const expected = rich.body.map((block) =>
        block.type === 'paragraph'
          ? { text: block.text, marks: asGiven(block.marks) }
          : block.type === 'list'
            ? {
                ordered: block.ordered ?? false,
                items: block.items.map((item) => ({ text: item.text, marks: asGiven(item.marks) })),
              }
            : null,
      );
      expect(
        data.article.body.map((block: any) =>
          block.__typename === 'ParagraphBlock'
            ? { text: block.text, marks: read(block.marks) }
            : {
                ordered: block.ordered,
                items: block.items.map((item: any) => ({ text: item.text, marks: read(item.marks) })),
              },
        ),
      ).toEqual(expected);
      // And stored exactly as the document gives it, the target slug with its link.
      const stored = await gateway.db
        .selectFrom('articles')
        .select('body')
        .where('slug', '=', 'rich-paragraphs')
        .executeTakeFirstOrThrow();
      expect(stored.body[0]).toEqual(rich.body[0]);
      expect(stored.body[2]).toEqual(rich.body[2]);
    });

    it('counts a changed link as a change, and the same marks again as none', async () => {
      const db = gateway.db;
      expect((await ingestArticle(db, rich)).outcome).toBe('unchanged');
      const moved = structuredClone(rich);
      const first = moved.body[0]!;
      if (first.type !== 'paragraph') throw new Error('expected the paragraph first');
      first.marks = first.marks!.map((mark) =>
        mark.type === 'link' && mark.href.includes('tides.example')
          ? { ...mark, href: 'https://tides.example/v2' }
          : mark,
      );
      const written = await ingestArticle(db, moved);
      expect(written.outcome).toBe('updated');
      const { data } = await bodyOf('rich-paragraphs');
      expect(data.article.body[0].marks[2].href).toBe('https://tides.example/v2');
      expect((await ingestArticle(db, rich)).outcome).toBe('updated');
    });
  });
});
