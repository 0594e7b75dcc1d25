/**
 * The SQL floor: for each scenario, one hand-written statement that builds the whole response in
 * Postgres and returns it as JSON text, the same document Byline answers. `$1` is the scenario's
 * argument, `$2` the public URL canonical article URLs are built on.
 */
import { SEARCH_CANDIDATES } from '../../src/modules/search/index.ts';
import { bodyHighlight, headlineHighlight, searchQuery, searchScore } from './search-sql.ts';

const visible = (alias: string) =>
  `${alias}.status = 'published' and ${alias}.published_at <= now() and ${alias}.taken_down_at is null`;
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const canonical = (alias: string) => `coalesce(${alias}.url, $2 || '/articles/' || ${alias}.slug)`;
/** An image URL as Byline answers it: a path Byline serves itself (`/media/…`) joined to the public URL. */
const media = (column: string) =>
  `case when ${column} like '/media/%' then $2 || ${column} else ${column} end`;

export const floorQueries = {
  'article-page': `
    with a as (select * from articles where slug = $1 and ${visible('articles')}),
    q as (
      select qt.*, p.slug as p_slug, p.name as p_name, o.slug as o_slug, o.name as o_name
      from quotes qt join a on qt.article_id = a.id
      left join people p on p.id = qt.speaker_person_id
      left join organizations o on o.id = qt.speaker_organization_id),
    l as (
      select rl.*, i.url as i_url, i.alt as i_alt, t.slug as t_slug, t.headline as t_headline
      from related_links rl join a on rl.article_id = a.id
      left join images i on i.id = rl.image_id
      left join articles t on t.id = rl.target_article_id and ${visible('t')})
    select json_build_object('article', (select json_build_object(
      'slug', a.slug, 'url', ${canonical('a')}, 'headline', a.headline, 'standfirst', a.standfirst,
      'publishedAt', ${iso('a.published_at')}, 'updatedAt', ${iso('a.updated_at')},
      'language', a.language, 'wordCount', a.word_count,
      'section', (select json_build_object('slug', s.slug, 'name', s.name) from sections s where s.id = a.section_id),
      'tags', coalesce((select json_agg(json_build_object('slug', t.slug, 'name', t.name) order by at.position)
        from article_tags at join tags t on t.id = at.tag_id where at.article_id = a.id), '[]'),
      'leadImage', (select json_build_object('url', ${media('i.url')}, 'caption', i.caption, 'credit', i.credit, 'alt', i.alt,
        'width', i.width, 'height', i.height) from images i where i.id = a.lead_image_id),
      'authors', coalesce((select json_agg(json_build_object('slug', p.slug, 'name', p.name, 'honorific', p.honorific)
        order by aa.position) from article_authors aa join people p on p.id = aa.person_id where aa.article_id = a.id), '[]'),
      'quotes', coalesce((select json_agg(json_build_object('text', q.text, 'context', q.context,
        'position', q.block_position, 'speakerName', q.speaker_name, 'speaker',
        case when q.p_slug is not null then json_build_object('__typename', 'Person', 'slug', q.p_slug, 'name', q.p_name)
             when q.o_slug is not null then json_build_object('__typename', 'Organization', 'slug', q.o_slug, 'name', q.o_name)
        end) order by q.ordinal) from q), '[]'),
      'relatedLinks', coalesce((select json_agg(json_build_object('title', l.title,
        'url', coalesce(l.url, $2 || '/articles/' || l.target_slug), 'label', l.label,
        'image', case when l.i_url is not null then json_build_object('url', ${media('l.i_url')}, 'alt', l.i_alt) end,
        'target', case when l.t_slug is not null then json_build_object('slug', l.t_slug, 'headline', l.t_headline) end)
        order by l.position) from l), '[]'),
      'body', (select json_agg(case b.block->>'type'
        when 'paragraph' then json_build_object('__typename', 'ParagraphBlock', 'text', b.block->>'text')
        when 'heading' then json_build_object('__typename', 'HeadingBlock', 'text', b.block->>'text',
          'level', (b.block->>'level')::int)
        when 'quote' then json_build_object('__typename', 'QuoteBlock', 'quote', (select json_build_object(
          'text', q.text, 'speakerName', q.speaker_name) from q where q.ordinal = (b.block->>'quote')::int))
        when 'image' then json_build_object('__typename', 'ImageBlock', 'image', (select json_build_object(
          'url', ${media('i.url')}, 'caption', i.caption, 'alt', i.alt, 'width', i.width, 'height', i.height)
          from images i where i.id = (b.block->>'image')::int))
        when 'relatedLink' then json_build_object('__typename', 'RelatedLinkBlock', 'link', (select json_build_object(
          'title', l.title, 'url', coalesce(l.url, $2 || '/articles/' || l.target_slug))
          from l where l.position = (b.block->>'link')::int))
        end order by b.n) from jsonb_array_elements(a.body) with ordinality as b(block, n))
    ) from a))::text as json`,

  'section-front': `
    select json_build_object('section', (select json_build_object('slug', s.slug, 'name', s.name,
      'articles', json_build_object('nodes', coalesce((select json_agg(json_build_object(
        'slug', a.slug, 'url', ${canonical('a')}, 'headline', a.headline, 'standfirst', a.standfirst,
        'publishedAt', ${iso('a.published_at')},
        'section', json_build_object('slug', s.slug, 'name', s.name),
        'leadImage', (select json_build_object('url', ${media('i.url')}, 'alt', i.alt, 'width', i.width, 'height', i.height)
          from images i where i.id = a.lead_image_id),
        'authors', coalesce((select json_agg(json_build_object('slug', p.slug, 'name', p.name) order by aa.position)
          from article_authors aa join people p on p.id = aa.person_id where aa.article_id = a.id), '[]'),
        'quotes', coalesce((select json_agg(json_build_object('text', q.text, 'speakerName', q.speaker_name)
          order by q.ordinal) from quotes q where q.article_id = a.id), '[]')
      ) order by a.listed_at desc, a.id desc)
      from (select * from articles a where a.section_id = s.id and ${visible('a')}
        order by a.listed_at desc, a.id desc limit 20) a), '[]')))
    from sections s where s.slug = $1))::text as json`,

  'person-page': `
    select json_build_object('person', (select json_build_object('slug', p.slug, 'name', p.name,
      'honorific', p.honorific, 'description', p.description,
      'quotes', json_build_object('nodes', coalesce((select json_agg(json_build_object('text', x.text,
        'context', x.context, 'article', json_build_object('slug', x.slug, 'headline', x.headline))
        order by x.listed_at desc, x.article_id desc, x.ordinal)
        from (select q.text, q.context, q.ordinal, q.article_id, a.slug, a.headline, a.listed_at
          from quotes q join articles a on a.id = q.article_id
          where q.speaker_person_id = p.id and ${visible('a')}
          order by a.listed_at desc, q.article_id desc, q.ordinal limit 20) x), '[]')),
      'mentionedIn', json_build_object('nodes', coalesce((select json_agg(json_build_object('slug', x.slug,
        'headline', x.headline, 'publishedAt', ${iso('x.published_at')}) order by x.listed_at desc, x.id desc)
        from (select a.* from article_mentions m join articles a on a.id = m.article_id
          where m.person_id = p.id and ${visible('a')} order by a.listed_at desc, a.id desc limit 10) x), '[]'))
    ) from people p where p.slug = $1))::text as json`,

  search: `
    with q as (select ${searchQuery('$1')} as search_query),
    candidates as (
      select a.id, a.slug, a.headline, a.published_at, a.listed_at, s.document
      from articles a join article_search s on s.article_id = a.id cross join q
      where s.document @@ q.search_query and ${visible('a')}
      order by a.listed_at desc, a.id desc limit ${SEARCH_CANDIDATES}),
    hits as (
      select c.id, c.slug, c.headline, c.published_at,
        ${searchScore('c.document', 'q.search_query', 'c.listed_at')} as score
      from candidates c cross join q
      order by score desc, c.id desc limit 20)
    select json_build_object('search', json_build_object('edges', coalesce((select json_agg(json_build_object(
      'highlights', json_build_object('headline', ${headlineHighlight('h.headline', 'q.search_query')},
        'body', ${bodyHighlight('h.id', 'q.search_query')}),
      'node', json_build_object('slug', h.slug, 'headline', h.headline, 'publishedAt', ${iso('h.published_at')}))
      order by h.score desc, h.id desc) from hits h cross join q), '[]')))::text as json`,

  trivial: `
    select json_build_object('article', (select json_build_object('headline', a.headline)
      from articles a where a.slug = $1 and ${visible('a')}))::text as json`,
} as const;

export type FloorScenario = keyof typeof floorQueries;

/** The parameters of a floor statement: the argument, and the public URL where the statement uses it. */
export function floorParameters(scenario: FloorScenario, argument: string, publicUrl: string): string[] {
  return floorQueries[scenario].includes('$2') ? [argument, publicUrl] : [argument];
}
