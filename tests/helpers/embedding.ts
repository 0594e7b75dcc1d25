import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { validateArticleDocument, type ArticleDocument } from '../../src/ingest/article-document.ts';
import { ingestArticle } from '../../src/ingest/ingest-article.ts';
import { createPartner, type PartnerInput } from '../../src/modules/partners/partners.service.ts';
import { toGlobalId } from '../../src/shared/global-id.ts';

/** Validates and ingests documents as `byline ingest` would; returns their article ids by slug. */
export async function ingestDocuments(
  db: Kysely<Database>,
  documents: readonly ArticleDocument[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const document of documents) {
    const result = validateArticleDocument(document);
    if (!result.ok)
      throw new Error(`fixture ${document.slug} is invalid: ${JSON.stringify(result.problems)}`);
    ids.set(document.slug, (await ingestArticle(db, result.document)).articleId);
  }
  return ids;
}

/** A partner and its key in clear, as `byline partner create` prints it. */
export async function makePartner(
  db: Kysely<Database>,
  input: Partial<PartnerInput> = {},
): Promise<{ id: number; key: string }> {
  const { partner, key } = await createPartner(db, {
    name: input.name ?? `partner-${Math.random().toString(36).slice(2, 10)}`,
    ...input,
  });
  return { id: partner.id, key };
}

/** Global ID of the quote with this ordinal (0-based, body order) in an article. */
export async function quoteGlobalId(db: Kysely<Database>, articleId: number, ordinal = 0): Promise<string> {
  const row = await db
    .selectFrom('quotes')
    .select('id')
    .where('article_id', '=', articleId)
    .orderBy('ordinal')
    .offset(ordinal)
    .limit(1)
    .executeTakeFirstOrThrow();
  return toGlobalId('Quote', row.id);
}

/** The href of the first `<link rel="alternate" type="…">` in a page, entities decoded. */
export function discoveryHref(html: string, type = 'application/json+oembed'): string | undefined {
  const tag = new RegExp(`<link rel="alternate" type="${type.replace(/\+/g, '\\+')}" href="([^"]*)"`).exec(
    html,
  );
  return tag?.[1]?.replace(/&#38;/g, '&');
}
