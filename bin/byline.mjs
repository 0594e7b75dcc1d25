#!/usr/bin/env node
import module from 'node:module';

// Byline's command line. The sources are TypeScript that Node runs as is, stripping the types:
// https://nodejs.org/api/typescript.html#type-stripping
if (!process.features.typescript) {
  console.error(
    `byline: needs Node.js 24 or newer, which runs TypeScript; this is Node.js ${process.version} (${process.execPath}).\n` +
      'Run it through npm (npm start, npx byline …), which uses the Node.js 24 that npm install puts in node_modules, or install Node.js 24.',
  );
  process.exit(1);
}
// Caches compiled code, the stripped TypeScript included, on disk: later starts skip both steps.
// https://nodejs.org/api/module.html#module-compile-cache
module.enableCompileCache();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
