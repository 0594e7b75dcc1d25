// npm run schema:snapshot: records the current schema as the reviewed one (schema/schema.snapshot.graphql).
import { writeFileSync } from 'node:fs';
import { printSchemaSnapshot, snapshotPath } from '../src/graphql/schema-snapshot.ts';

writeFileSync(snapshotPath, printSchemaSnapshot());
console.log(`wrote ${snapshotPath}`);
