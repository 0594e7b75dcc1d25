import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse } from 'graphql';
import { sha256 } from '../shared/sha256.ts';

export { sha256 };

/** Where the repository keeps its registered operations and the manifest generated from them. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const operationsDir = path.join(repositoryRoot, 'operations/examples');
export const defaultManifestPath = path.join(repositoryRoot, 'operations/manifest.json');

export interface ManifestOperation {
  /** sha256 of `body`, hex: the hash clients send in `extensions.persistedQuery.sha256Hash`. */
  readonly id: string;
  readonly name: string;
  readonly type: 'query' | 'mutation' | 'subscription';
  /** The exact document text clients send. */
  readonly body: string;
}

/** Apollo's persisted query manifest format (https://www.apollographql.com/docs/graphos/platform/security/persisted-queries#manifest-format). */
export interface OperationsManifest {
  readonly format: 'apollo-persisted-query-manifest';
  readonly version: 1;
  readonly operations: readonly ManifestOperation[];
}

/** Builds the manifest from every `*.graphql` file in `dir`: one named operation per file. */
export function buildOperationsManifest(dir: string = operationsDir): OperationsManifest {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort();
  const operations = files.map((file): ManifestOperation => {
    const body = readFileSync(path.join(dir, file), 'utf8').trim();
    const operationsInFile = parse(body).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationsInFile[0];
    if (operationsInFile.length !== 1 || !operation?.name) {
      throw new Error(`${file}: expected exactly one named operation, got ${operationsInFile.length}`);
    }
    return { id: sha256(body), name: operation.name.value, type: operation.operation, body };
  });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

export function serializeManifest(manifest: OperationsManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Loads manifests as hash → document text: ours, and any a partner submitted (generated the same
 * way from their documents), given as a comma-separated list of paths.
 */
export function loadOperationsManifest(files: string): Map<string, string> {
  const operations = new Map<string, string>();
  for (const file of files
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)) {
    const manifest = JSON.parse(
      readFileSync(path.resolve(repositoryRoot, file), 'utf8'),
    ) as OperationsManifest;
    if (manifest.format !== 'apollo-persisted-query-manifest' || !Array.isArray(manifest.operations)) {
      throw new Error(`${file}: expected an apollo-persisted-query-manifest, got something else`);
    }
    for (const operation of manifest.operations) {
      // The id is recomputed: a manifest cannot vouch for a document under someone else's hash.
      operations.set(sha256(operation.body), operation.body);
    }
  }
  return operations;
}
