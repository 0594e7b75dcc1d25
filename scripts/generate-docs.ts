// npm run docs: rewrites the generated reference pages (docs/schema.md, docs/configuration.md).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedDocs } from '../src/docs/reference-docs.ts';

for (const [file, content] of Object.entries(generatedDocs())) {
  writeFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), content);
  console.log(`wrote ${file}`);
}
