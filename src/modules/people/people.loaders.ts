import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { MentionParent } from '../articles/articles.mappers.ts';
import type { OrganizationParent, PersonParent } from './people.mappers.ts';
import * as repository from './people.repository.ts';

export function createPeopleLoaders(db: Kysely<Database>, viewer: Viewer) {
  const personById = new DataLoader<number, PersonParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findPeopleByIds(db, ids)).map((row) => typed('Person', row)),
      (row) => row.id,
    ),
  );
  const primePeople = (people: readonly PersonParent[]) => {
    for (const person of people) personById.prime(person.id, person);
  };
  const personBySlug = new DataLoader<string, PersonParent | null>(async (slugs) => {
    const rows = (await repository.findPeopleBySlugs(db, slugs)).map((row) => typed('Person', row));
    primePeople(rows);
    return oneInKeyOrder(slugs, rows, (row) => row.slug);
  });
  const organizationById = new DataLoader<number, OrganizationParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findOrganizationsByIds(db, ids)).map((row) => typed('Organization', row)),
      (row) => row.id,
    ),
  );
  const organizationBySlug = new DataLoader<string, OrganizationParent | null>(async (slugs) => {
    const rows = (await repository.findOrganizationsBySlugs(db, slugs)).map((row) =>
      typed('Organization', row),
    );
    for (const row of rows) organizationById.prime(row.id, row);
    return oneInKeyOrder(slugs, rows, (row) => row.slug);
  });
  const mentionsByArticle = new DataLoader<number, MentionParent[]>(async (articleIds) => {
    const rows = await repository.listMentionsByArticleIds(db, articleIds);
    return manyInKeyOrder(articleIds, rows, (row) => row.article_id).map((mentions) =>
      mentions.map(({ article_id: _articleId, role, ...person }) => {
        const parent = typed('Person', person);
        personById.prime(parent.id, parent);
        return { person: parent, role };
      }),
    );
  });
  const organizationsByArticle = new DataLoader<number, OrganizationParent[]>(async (articleIds) => {
    const rows = await repository.listOrganizationsByArticleIds(db, articleIds);
    return manyInKeyOrder(articleIds, rows, (row) => row.article_id).map((organizations) =>
      organizations.map(({ article_id: _articleId, ...organization }) => {
        const parent = typed('Organization', organization);
        organizationById.prime(parent.id, parent);
        return parent;
      }),
    );
  });
  // Pages are not batched across parents (each is its own keyset query) but identical ones are shared.
  const peoplePage = new DataLoader<repository.PeoplePageQuery, PersonParent[], string>(
    (pages) =>
      Promise.all(
        pages.map(async (page) => {
          const rows = (await repository.listPeople(db, viewer, page)).map((row) => typed('Person', row));
          primePeople(rows);
          return rows;
        }),
      ),
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
  // Keyed by the lookup text; '' (never a valid lookup) stands for everyone, as DataLoader refuses null keys.
  const peopleCount = new DataLoader<string, number>((queries) =>
    Promise.all(queries.map((query) => repository.countPeople(db, viewer, query === '' ? undefined : query))),
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
