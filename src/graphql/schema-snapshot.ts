import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildASTSchema,
  buildSchema,
  concatAST,
  findBreakingChanges,
  lexicographicSortSchema,
  parse,
  printSchema,
  type BreakingChange,
  type GraphQLSchema,
} from 'graphql';
import { readTypeDefs } from './schema.ts';

/** The reviewed public schema, checked in; `npm run schema:snapshot` rewrites it. */
export const snapshotPath = fileURLToPath(new URL('../../schema/schema.snapshot.graphql', import.meta.url));

/** The schema from every module's SDL (extensions applied), without resolvers. */
export function buildCurrentSchema(): GraphQLSchema {
  return buildASTSchema(concatAST(readTypeDefs().map((sdl) => parse(sdl))));
}

/** The schema as one SDL document, types sorted by name so the snapshot's diffs stay small. */
export function printSchemaSnapshot(schema: GraphQLSchema = buildCurrentSchema()): string {
  return `# The reviewed public schema. Regenerate with \`npm run schema:snapshot\` after reviewing a breaking change.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}

export function readSnapshotSchema(): GraphQLSchema {
  return buildSchema(readFileSync(snapshotPath, 'utf8'));
}

/** Changes from the snapshot that would break an existing client (removed fields, narrowed types…). */
export function breakingChangesSinceSnapshot(
  current: GraphQLSchema = buildCurrentSchema(),
): BreakingChange[] {
  return findBreakingChanges(readSnapshotSchema(), current);
}
