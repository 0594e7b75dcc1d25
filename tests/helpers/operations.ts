import { readdirSync, readFileSync } from 'node:fs';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type OperationDefinitionNode } from 'graphql';
import type { GraphQLResponse, TestGateway } from './gateway.ts';

const operationsDir = new URL('../../operations/examples/', import.meta.url);

/** Source text of each operation in tests/operations, by operation name: sent as written, like a client. */
const sourceByName = new Map(
  readdirSync(operationsDir)
    .filter((file) => file.endsWith('.graphql'))
    .flatMap((file) => {
      const text = readFileSync(new URL(file, operationsDir), 'utf8');
      return [...text.matchAll(/^(?:query|mutation|subscription)\s+(\w+)/gm)].map(
        (m) => [m[1]!, text] as const,
      );
    }),
);

function operationName(document: TypedDocumentNode<unknown, never>): string | undefined {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition',
  );
  return operation?.name?.value;
}

/**
 * Runs a typed document from src/generated/operations.ts: its variables and its result are typed from
 * the schema, so a schema change that breaks a client operation fails `tsc`.
 */
export function runOperation<TData, TVariables extends Record<string, unknown>>(
  gateway: TestGateway,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers?: Record<string, string>,
): Promise<GraphQLResponse<TData>> {
  const name = operationName(document as TypedDocumentNode<unknown, never>);
  const query = (name && sourceByName.get(name)) ?? print(document);
  return gateway.graphql<TData>(query, { variables, ...(headers ? { headers } : {}) });
}
