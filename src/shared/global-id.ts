import { badUserInput, describeValue } from './errors.ts';

/** The types `Query.node` can fetch. */
export const nodeTypes = [
  'Article',
  'Person',
  'Organization',
  'Quote',
  'Section',
  'Tag',
  'RelatedLink',
] as const;
export type NodeType = (typeof nodeTypes)[number];

/** Opaque global ID: base64url of `Type:id`. Clients must not parse it. */
export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export interface ParsedGlobalId {
  readonly type: NodeType;
  readonly id: number;
}

/** Decodes a global ID, or throws `BAD_USER_INPUT` naming the argument. */
export function fromGlobalId(globalId: string, argument: string): ParsedGlobalId {
  const parsed = tryFromGlobalId(globalId);
  if (!parsed) {
    throw badUserInput(
      `Argument "${argument}" is not a valid ID: expected an opaque ID returned by this API, got ${describeValue(globalId)}`,
      argument,
    );
  }
  return parsed;
}

export function tryFromGlobalId(globalId: string): ParsedGlobalId | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(globalId)) return undefined;
  const match = /^([A-Za-z]+):([1-9]\d{0,9})$/.exec(Buffer.from(globalId, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const [, type, digits] = match;
  const id = Number(digits);
  if (!(nodeTypes as readonly string[]).includes(type!) || id > 2_147_483_647) return undefined;
  return { type: type as NodeType, id };
}

/** Decodes a global ID that must be of one type (`Query.article(id:)` takes only article IDs). */
export function fromGlobalIdOf(type: NodeType, globalId: string, argument: string): number | undefined {
  const parsed = fromGlobalId(globalId, argument);
  // A well-formed ID of another type names no article: null, as for an unknown one.
  return parsed.type === type ? parsed.id : undefined;
}
