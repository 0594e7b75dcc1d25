/**
 * Byline's search in plain SQL, for the SQL floor and for PostGraphile (which has no full-text search
 * of its own): the same tsquery, score, order and highlights as src/modules/search/search.repository.ts
 * and search-text.ts, so the three servers can be checked for the same answer. Private-use characters
 * (U+E000–U+E002) are written as chr() so the SQL stays plain ASCII.
 */
const CONFIG = `'byline_english'::regconfig`;
const START = 'chr(57344)';
const STOP = 'chr(57345)';
const LESS_THAN = 'chr(57346)';

/** The reader's words as a tsquery. */
export const searchQuery = (text: string) => `websearch_to_tsquery(${CONFIG}, ${text})`;

/** Rank times the recency boost (×1.25 when new, fading over a year), as Byline scores a first page. */
export const searchScore = (document: string, query: string, listedAt: string) =>
  `(ts_rank('{0.1, 0.2, 0.4, 1.0}'::float4[], ${document}, ${query})::float8
    * (1 + 0.25 * exp(-greatest(0, extract(epoch from (now() - ${listedAt})))::float8 / 31557600.0)))`;

const wholeText = `'StartSel=' || ${START} || ', StopSel=' || ${STOP} || ', HighlightAll=true'`;
const fragments = `'StartSel=' || ${START} || ', StopSel=' || ${STOP} || ', MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "'`;

/** ts_headline output as HTML: escaped, then the sentinels turned into <mark> (Byline's toHighlightHtml). */
const markedHtml = (headline: string) =>
  `replace(replace(replace(replace(replace(replace(replace(replace(${headline},
    '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'),
    ${START}, '<mark>'), ${STOP}, '</mark>'), ${LESS_THAN}, '&lt;')`;

const headlineInput = (text: string) =>
  `translate(${text}, '<' || ${START} || ${STOP} || ${LESS_THAN}, ${LESS_THAN})`;

/** The headline with every match marked. */
export const headlineHighlight = (headline: string, query: string) =>
  markedHtml(`ts_headline(${CONFIG}, ${headlineInput(headline)}, ${query}, ${wholeText})`);

/** Up to two fragments of the body text around the matches; null when none. */
export const bodyHighlight = (articleId: string, query: string) =>
  markedHtml(
    `nullif(ts_headline(${CONFIG}, ${headlineInput(`byline_article_body_text(${articleId})`)}, ${query}, ${fragments}), '')`,
  );

/**
 * What `npm run bench` installs before starting PostGraphile: a search function (exposed as
 * `Query.benchSearch`) and two computed columns (`Article.headlineHighlight/bodyHighlight(query)`).
 */
export const postgraphileSearchFunctions = `
  create or replace function bench_search(query text) returns setof articles language sql stable as $$
    select a.* from articles a
    join article_search s on s.article_id = a.id
    cross join ${searchQuery('query')} as q (search_query)
    where s.document @@ q.search_query and a.status = 'published' and a.published_at <= now()
    order by ${searchScore('s.document', 'q.search_query', 'a.listed_at')} desc, a.id desc
    limit 20
  $$;
  create or replace function articles_headline_highlight(a articles, query text) returns text language sql stable as $$
    select ${headlineHighlight('a.headline', searchQuery('query'))}
  $$;
  create or replace function articles_body_highlight(a articles, query text) returns text language sql stable as $$
    select ${bodyHighlight('a.id', searchQuery('query'))}
  $$;`;
