import { describe, expect, it } from 'vitest';
import { followChanges, type CopyStore } from '../docs/examples/sync-and-follow.ts';
import { takeDownArticle, unpublishArticle } from '../src/ingest/article-lifecycle.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

describeEachEngine('the sync recipe of docs/changes.md (docs/examples/sync-and-follow.ts)', (engine) => {
  const gateway = useGateway(engine, {
    articles: [
      makeArticle({ slug: 'recipe-a' }),
      makeArticle({ slug: 'recipe-b' }),
      makeArticle({ slug: 'recipe-c' }),
    ],
  });

  describe('followChanges', () => {
    it('copies every article, then keeps the copy in step: edits, new stories, unpublishes and takedowns', async () => {
      const endpoint = `${gateway.origin}/graphql`;
      const store: CopyStore = { articles: new Map(), cursor: null };
      await followChanges(endpoint, store);
      const slugs = () => [...store.articles.values()].map((article) => article.slug).sort();
      expect(slugs()).toEqual(['recipe-a', 'recipe-b', 'recipe-c']);

      await ingestArticle(gateway.db, makeArticle({ slug: 'recipe-a', headline: 'Recipe A, edited' }));
      await ingestArticle(gateway.db, makeArticle({ slug: 'recipe-d' }));
      await ingestArticle(gateway.db, makeArticle({ slug: 'recipe-draft', status: 'draft' }));
      await unpublishArticle(gateway.db, { slug: 'recipe-b' });
      await takeDownArticle(gateway.db, { slug: 'recipe-c' }, { reason: 'Court order', by: 'legal desk' });
      expect(await followChanges(endpoint, store)).toBe(4);
      expect(slugs()).toEqual(['recipe-a', 'recipe-d']);
      expect([...store.articles.values()].find((a) => a.slug === 'recipe-a')!.headline).toBe(
        'Recipe A, edited',
      );
      // Nothing new: nothing applied, the cursor kept.
      const cursor = store.cursor;
      expect(await followChanges(endpoint, store)).toBe(0);
      expect(store.cursor).toBe(cursor);
    });
  });
});
