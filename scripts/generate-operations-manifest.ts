// Writes operations/manifest.json from tests/operations/*.graphql (the safelist, BYLINE_OPERATIONS=safelist).
import { writeFileSync } from 'node:fs';
import {
  buildOperationsManifest,
  defaultManifestPath,
  serializeManifest,
} from '../src/server/protection/operations-manifest.ts';

const manifest = buildOperationsManifest();
writeFileSync(defaultManifestPath, serializeManifest(manifest));
process.stdout.write(`${manifest.operations.length} operations written to ${defaultManifestPath}\n`);
