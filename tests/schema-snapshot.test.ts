import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  breakingChangesSinceSnapshot,
  buildCurrentSchema,
  printSchemaSnapshot,
  readSnapshotSchema,
} from '../src/graphql/schema-snapshot.ts';

describe('the schema snapshot (schema/schema.snapshot.graphql)', () => {
  it("has no unreviewed breaking change: the modules' SDL only adds to it", () => {
    const changes = breakingChangesSinceSnapshot().map((change) => `${change.type}: ${change.description}`);
    // A breaking change must be deliberate: review it, then record it with `npm run schema:snapshot`.
    expect(
      changes,
      'breaking changes since the reviewed snapshot (run npm run schema:snapshot once reviewed)',
    ).toEqual([]);
  });

  it('describes every type and field the schema serves today', () => {
    const current = buildCurrentSchema();
    const snapshot = readSnapshotSchema();
    const missing = Object.keys(current.getTypeMap()).filter((name) => !snapshot.getType(name));
    expect(missing, 'types not yet in the snapshot: run npm run schema:snapshot').toEqual([]);
  });

  it('catches a removed field and a newly required argument as breaking', () => {
    const snapshot = buildSchema(printSchemaSnapshot());
    const broken = buildSchema(
      printSchemaSnapshot()
        .replace(/^\s*"""The headline\."""\n\s*headline: String!\n/m, '\n')
        .replace(/^ {2}sections: \[Section!\]!$/m, '  sections(region: String!): [Section!]!'),
    );
    const descriptions = findBreakingChanges(snapshot, broken).map((change) => change.description);
    expect(descriptions).toContain('Article.headline was removed.');
    expect(descriptions).toContain('A required arg region on Query.sections was added.');
  });
});
