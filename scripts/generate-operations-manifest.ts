// Writes a safelist manifest (BYLINE_OPERATIONS=safelist) from a folder of *.graphql files, one named
// operation each. Without arguments: operations/examples/ → operations/manifest.json. For a partner's
// submitted documents: `npm run operations:manifest -- <their-dir> <their-manifest.json>`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildOperationsManifest,
  defaultManifestPath,
  operationsDir,
  serializeManifest,
} from '../src/protection/operations-manifest.ts';

const [dir = operationsDir, out = defaultManifestPath] = process.argv
  .slice(2)
  .map((arg) => path.resolve(arg));
const manifest = buildOperationsManifest(dir);
writeFileSync(out, serializeManifest(manifest));
process.stdout.write(`${manifest.operations.length} operations written to ${out}\n`);
