/**
 * Every loader of a request, by name: what resolvers read as `context.loaders`. Each module adds its
 * own beside them (`declare module '../loader-types.ts'` in its `*.loaders.ts`), so this file imports
 * no module and the context type stays out of import cycles; `src/modules/index.ts` checks that the
 * listed modules build exactly these.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Loaders {}
