import {
  BREAK,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  TypeInfo,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { ParsedDocuments } from '../protection/parsed-documents.ts';

/**
 * Cache policies from the schema's `@cacheControl` hints (src/modules/node/node.graphql describes the rules),
 * computed once per document from its selections with graphql-js's TypeInfo — never per field at
 * run time, which is why Apollo's own cache-control plugin is disabled.
 */

export type CacheScope = 'PUBLIC' | 'PRIVATE';
export type CacheRight = 'BODY';

export interface CachePolicy {
  /** Seconds the answer stays fresh; 0: not cached. */
  readonly maxAge: number;
  readonly scope: CacheScope;
  /** Partner rights the answer depends on (the key holds whether the caller has each), sorted. */
  readonly rights: readonly CacheRight[];
}

export const UNCACHEABLE: CachePolicy = Object.freeze({ maxAge: 0, scope: 'PUBLIC', rights: [] });

interface Hint {
  readonly maxAge?: number;
  readonly scope?: CacheScope;
  readonly inheritMaxAge?: boolean;
  readonly rights?: readonly CacheRight[];
}

/** What selecting one field adds to an operation's policy. */
interface Contribution {
  /** undefined: takes its parent's (adds nothing to the minimum). */
  readonly maxAge: number | undefined;
  readonly private: boolean;
  readonly rights: readonly CacheRight[];
}

// Apollo's default for an object field without any hint: not cacheable until someone says how long.
const DEFAULT_MAX_AGE = 0;

function hintOf(directives: readonly ConstDirectiveNode[] | undefined): Hint | undefined {
  const directive = directives?.find((node) => node.name.value === 'cacheControl');
  if (!directive) return undefined;
  const args = Object.fromEntries(
    (directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]),
  );
  return args as Hint;
}

/** The field → contribution table of a schema, read once from its hints. */
export class CacheHints {
  private readonly fields = new Map<string, Contribution>();
  private readonly schema: GraphQLSchema;

  constructor(schema: GraphQLSchema) {
    this.schema = schema;
    const typeHints = new Map<string, Hint>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isCompositeType(type)) continue;
      // `extend type` may carry hints too; the last one given wins, as in SDL order.
      const hints = [type.astNode, ...type.extensionASTNodes].map((node) => hintOf(node?.directives));
      const merged = hints.reduce<Hint | undefined>(
        (all, hint) => (hint ? { ...all, ...hint } : all),
        undefined,
      );
      if (merged) typeHints.set(type.name, merged);
    }
    const typeContribution = (type: GraphQLCompositeType): Contribution => {
      const hint = typeHints.get(type.name);
      const own = { private: hint?.scope === 'PRIVATE', rights: hint?.rights ?? [] };
      if (hint?.maxAge !== undefined) return { ...own, maxAge: hint.maxAge };
      if (hint?.inheritMaxAge) return { ...own, maxAge: undefined };
      if (!isAbstractType(type)) return { ...own, maxAge: DEFAULT_MAX_AGE };
      // An interface or union without its own: any of its types may come back.
      return schema
        .getPossibleTypes(type)
        .map(typeContribution)
        .reduce(combine, { ...own, maxAge: undefined });
    };
    const queryType = schema.getQueryType();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const hint = hintOf(field.astNode?.directives);
        const returned = getNamedType(field.type);
        let contribution: Contribution = {
          maxAge: hint?.maxAge,
          private: hint?.scope === 'PRIVATE',
          rights: hint?.rights ?? [],
        };
        if (isCompositeType(returned)) {
          const fromType = typeContribution(returned);
          contribution = {
            ...combine(contribution, { ...fromType, maxAge: undefined }),
            maxAge: hint?.maxAge ?? (hint?.inheritMaxAge ? undefined : fromType.maxAge),
          };
        }
        // A root field has no parent to inherit from.
        if (type === queryType && contribution.maxAge === undefined) {
          contribution = { ...contribution, maxAge: DEFAULT_MAX_AGE };
        }
        this.fields.set(`${type.name}.${field.name}`, contribution);
      }
    }
  }

  /** The policy of every operation in `document` together (a superset of any one of them: safe). */
  policyOf(document: DocumentNode): CachePolicy {
    const typeInfo = new TypeInfo(this.schema);
    let policy: Contribution = { maxAge: undefined, private: false, rights: [] };
    let cacheable = true;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: (node) => {
          const name = node.name.value;
          if (name === '__typename') return undefined;
          const parent = typeInfo.getParentType();
          const contribution = parent && this.fields.get(`${parent.name}.${name}`);
          // Introspection (__schema, __type) depends on the caller's rights; unknown fields fail validation.
          if (!contribution) {
            cacheable = false;
            return BREAK;
          }
          policy = combine(policy, contribution);
          return undefined;
        },
      }),
    );
    if (!cacheable || policy.maxAge === undefined || policy.maxAge <= 0) return UNCACHEABLE;
    return {
      maxAge: policy.maxAge,
      scope: policy.private ? 'PRIVATE' : 'PUBLIC',
      rights: [...new Set(policy.rights)].sort(),
    };
  }
}

function combine(a: Contribution, b: Contribution): Contribution {
  return {
    maxAge:
      a.maxAge === undefined ? b.maxAge : b.maxAge === undefined ? a.maxAge : Math.min(a.maxAge, b.maxAge),
    private: a.private || b.private,
    rights: b.rights.length === 0 ? a.rights : [...a.rights, ...b.rights],
  };
}

/**
 * Policies memoised per document hash and operation name: computed when Apollo has parsed the
 * document (a miss), or here from the query text of a GET that no miss has parsed yet.
 */
export class CachePolicies {
  private readonly known = new LRUCache<string, CachePolicy>({ max: 5000 });

  private readonly hints: CacheHints;
  private readonly documents: ParsedDocuments;

  constructor(hints: CacheHints, documents: ParsedDocuments) {
    this.hints = hints;
    this.documents = documents;
  }

  forDocument(documentHash: string, operationName: string, document: DocumentNode): CachePolicy {
    const key = `${documentHash}:${operationName}`;
    let policy = this.known.get(key);
    if (!policy) {
      policy = this.hints.policyOf(document);
      this.known.set(key, policy);
    }
    return policy;
  }

  /** The policy of a request before Apollo sees it; undefined when neither memoised nor parseable. */
  forRequest(
    documentHash: string,
    operationName: string,
    query: string | undefined,
  ): CachePolicy | undefined {
    const policy = this.known.get(`${documentHash}:${operationName}`);
    if (policy || query === undefined) return policy;
    const document = this.documents.parsed(documentHash, query);
    return document && this.forDocument(documentHash, operationName, document);
  }
}
