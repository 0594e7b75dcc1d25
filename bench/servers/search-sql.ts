import { RANK_WEIGHTS } from '../../src/modules/search/search.repository.ts';
import { SEARCH_CANDIDATES } from '../../src/modules/search/index.ts';
import {
  FRAGMENTS_HEADLINE,
  HEADLINE_INPUT_FROM,
  HEADLINE_INPUT_TO,
  LESS_THAN,
  START,
  STOP,
  TEXT_SEARCH_CONFIG,
  WHOLE_TEXT_HEADLINE,
} from '../../src/modules/search/search-text.ts';

/**
 * Byline's search in plain SQL (relevance among the newest SEARCH_CANDIDATES matches), for the SQL floor and for PostGraphile (which has no full-text search
 * of its own): the same configuration, weights, headline options and markers as
 * src/modules/search/search.repository.ts and search-text.ts (imported, so they cannot drift), so the
 * three servers can be checked for the same answer.
 */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const CONFIG = `${literal(TEXT_SEARCH_CONFIG)}::regconfig`;

/** The reader's words as a tsquery. */
export const searchQuery = (text: string) => `websearch_to_tsquery(${CONFIG}, ${text})`;

/** Rank times the recency boost (×1.25 when new, fading over a year), as Byline scores a first page. */
export const searchScore = (document: string, query: string, listedAt: string) =>
  `(ts_rank(${literal(RANK_WEIGHTS)}::float4[], ${document}, ${query})::float8
    * (1 + 0.25 * exp(-greatest(0, extract(epoch from (now() - ${listedAt})))::float8 / 31557600.0)))`;

/** ts_headline output as HTML: escaped, then the sentinels turned into <mark> (Byline's toHighlightHtml). */
const markedHtml = (headline: string) =>
  `replace(replace(replace(replace(replace(replace(replace(replace(${headline},
    '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'),
    ${literal(START)}, '<mark>'), ${literal(STOP)}, '</mark>'), ${literal(LESS_THAN)}, '&lt;')`;

const headlineInput = (text: string) =>
  `translate(${text}, ${literal(HEADLINE_INPUT_FROM)}, ${literal(HEADLINE_INPUT_TO)})`;

/** The headline with every match marked. */
export const headlineHighlight = (headline: string, query: string) =>
  markedHtml(`ts_headline(${CONFIG}, ${headlineInput(headline)}, ${query}, ${literal(WHOLE_TEXT_HEADLINE)})`);

/** Up to two fragments of the body text around the matches; null when none. */
export const bodyHighlight = (articleId: string, query: string) =>
  markedHtml(
    `nullif(ts_headline(${CONFIG}, ${headlineInput(`byline_article_body_text(${articleId})`)}, ${query}, ${literal(FRAGMENTS_HEADLINE)}), '')`,
  );

/**
 * What `npm run bench` installs before starting PostGraphile: a search function (exposed as
 * `Query.benchSearch`) and two computed columns (`Article.headlineHighlight/bodyHighlight(query)`).
 */
export const postgraphileSearchFunctions = `
  create or replace function bench_search(query text) returns setof articles language sql stable as $$
    select (c.a).* from (
      select a, s.document, q.search_query from articles a
      join article_search s on s.article_id = a.id
      cross join ${searchQuery('query')} as q (search_query)
      where s.document @@ q.search_query and a.status = 'published' and a.published_at <= now()
        and a.taken_down_at is null
      order by a.listed_at desc, a.id desc
      limit ${SEARCH_CANDIDATES}) c
    order by ${searchScore('c.document', 'c.search_query', '(c.a).listed_at')} desc, (c.a).id desc
    limit 20
  $$;
  create or replace function articles_headline_highlight(a articles, query text) returns text language sql stable as $$
    select ${headlineHighlight('a.headline', searchQuery('query'))}
  $$;
  create or replace function articles_body_highlight(a articles, query text) returns text language sql stable as $$
    select ${bodyHighlight('a.id', searchQuery('query'))}
  $$;`;
