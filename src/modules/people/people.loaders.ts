import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import * as repository from './people.repository.ts';
import type { MentionParent, OrganizationParent, PersonParent } from '../parents.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';
import { tagsById, tagsBySlug } from '../loader-tags.ts';

declare module '../loader-types.ts' {
  interface Loaders extends PeopleLoaders {}
}

export type PeopleLoaders = ReturnType<typeof createPeopleLoaders>;

export function createPeopleLoaders({ db, viewer, hooks }: LoaderScope) {
  const personById = createLoader<number, PersonParent | null>(
    'personById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findPeopleByIds(db, ids)).map((row) => typed('Person', row)),
        (row) => row.id,
      ),
    { hooks, tags: tagsById('person') },
  );
  const primePeople = (people: readonly PersonParent[]) => {
    for (const person of people) personById.prime(person.id, person);
  };
  const personBySlug = createLoader<string, PersonParent | null>(
    'personBySlug',
    async (slugs) => {
      const rows = (await repository.findPeopleBySlugs(db, slugs)).map((row) => typed('Person', row));
      primePeople(rows);
      return oneInKeyOrder(slugs, rows, (row) => row.slug);
    },
    { hooks, tags: tagsBySlug('person') },
  );
  const organizationById = createLoader<number, OrganizationParent | null>(
    'organizationById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findOrganizationsByIds(db, ids)).map((row) => typed('Organization', row)),
        (row) => row.id,
      ),
    { hooks, tags: tagsById('organization') },
  );
  const organizationBySlug = createLoader<string, OrganizationParent | null>(
    'organizationBySlug',
    async (slugs) => {
      const rows = (await repository.findOrganizationsBySlugs(db, slugs)).map((row) =>
        typed('Organization', row),
      );
      for (const row of rows) organizationById.prime(row.id, row);
      return oneInKeyOrder(slugs, rows, (row) => row.slug);
    },
    { hooks, tags: tagsBySlug('organization') },
  );
  const mentionsByArticle = createLoader<number, MentionParent[]>(
    'mentionsByArticle',
    async (articleIds) => {
      const rows = await repository.listMentionsByArticleIds(db, articleIds);
      return manyInKeyOrder(articleIds, rows, (row) => row.article_id).map((mentions) =>
        mentions.map(({ article_id: _articleId, role, ...person }) => {
          const parent = typed('Person', person);
          personById.prime(parent.id, parent);
          return { person: parent, role };
        }),
      );
    },
    {
      hooks,
      tags: (articleId, mentions) => [
        tag.article(articleId),
        ...mentions.map((mention) => tag.term('person', mention.person.id)),
      ],
    },
  );
  const organizationsByArticle = createLoader<number, OrganizationParent[]>(
    'organizationsByArticle',
    async (articleIds) => {
      const rows = await repository.listOrganizationsByArticleIds(db, articleIds);
      return manyInKeyOrder(articleIds, rows, (row) => row.article_id).map((organizations) =>
        organizations.map(({ article_id: _articleId, ...organization }) => {
          const parent = typed('Organization', organization);
          organizationById.prime(parent.id, parent);
          return parent;
        }),
      );
    },
    {
      hooks,
      tags: (articleId, organizations) => [
        tag.article(articleId),
        ...organizations.map((organization) => tag.term('organization', organization.id)),
      ],
    },
  );
  // Pages are not batched across parents (each is its own keyset query) but identical ones are shared.
  const peoplePage = createLoader<repository.PeoplePageQuery, PersonParent[], string>(
    'peoplePage',
    (pages) =>
      Promise.all(
        pages.map(async (page) => {
          const rows = (await repository.listPeople(db, viewer, page)).map((row) => typed('Person', row));
          primePeople(rows);
          return rows;
        }),
      ),
    {
      cacheKeyFn: (page) => JSON.stringify(page),
      hooks,
      // Name lookups rank by appearances in every visible article.
      tags: (page) =>
        page.query === undefined ? [tag.allTerms('person')] : [tag.allTerms('person'), tag.allArticles],
    },
  );
  // Keyed by the lookup text; '' (never a valid lookup) stands for everyone, as DataLoader refuses null keys.
  const peopleCount = createLoader<string, number>(
    'peopleCount',
    (queries) =>
      Promise.all(
        queries.map((query) => repository.countPeople(db, viewer, query === '' ? undefined : query)),
      ),
    {
      hooks,
      tags: (query) => (query === '' ? [tag.allTerms('person')] : [tag.allTerms('person'), tag.allArticles]),
    },
  );
  return {
    peoplePage,
    peopleCount,
    personById,
    personBySlug,
    organizationById,
    organizationBySlug,
    mentionsByArticle,
    organizationsByArticle,
  };
}
