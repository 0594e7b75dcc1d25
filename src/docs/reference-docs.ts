import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  print,
  astFromValue,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { configReference } from '../config.ts';
import { buildCurrentSchema } from '../graphql/schema-snapshot.ts';

/**
 * The reference pages generated from their sources of truth: docs/schema.md from the SDL's
 * descriptions, docs/configuration.md from src/config.ts. `npm run docs` writes them; a test fails
 * when either is stale.
 */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/schema.md': renderSchemaReference(buildCurrentSchema()),
    'docs/configuration.md': renderConfigurationReference(),
  };
}

const GENERATED = (source: string) =>
  `<!-- Generated from ${source} by \`npm run docs\`. Do not edit by hand: edit the source and rerun. -->`;

/** Table cells hold one line: pipes escaped, line breaks as <br>. */
function cell(text: string | null | undefined): string {
  return (text ?? '').trim().replace(/\|/g, '\\|').replace(/\n\n+/g, '<br><br>').replace(/\n/g, ' ');
}

function anchor(name: string): string {
  return name.toLowerCase();
}

/** `[Article!]!` with the named type linked to its section (built-in scalars unlinked). */
function typeLink(type: GraphQLType): string {
  const named = getNamedType(type);
  const text = String(type);
  if (isSpecifiedScalarType(named)) return `\`${text}\``;
  return `[\`${text}\`](#${anchor(named.name)})`;
}

function defaultText(arg: GraphQLArgument | GraphQLInputField): string {
  if (arg.defaultValue === undefined) return '';
  const ast = astFromValue(arg.defaultValue, arg.type);
  return ast ? `\`${print(ast)}\`` : '';
}

function deprecation(reason: string | null | undefined): string {
  return reason ? ` **Deprecated:** ${cell(reason)}` : '';
}

function argumentsList(args: readonly GraphQLArgument[]): string {
  return args
    .map((arg) => {
      const fallback = defaultText(arg);
      return `\`${arg.name}\`: ${typeLink(arg.type)}${fallback ? ` = ${fallback}` : ''} — ${cell(arg.description)}`;
    })
    .join('<br>');
}

function fieldsTable(fields: readonly GraphQLField<unknown, unknown>[]): string[] {
  return [
    '| Field | Type | Description |',
    '| --- | --- | --- |',
    ...fields.map((field) => {
      const args = field.args.length > 0 ? `<br>Arguments:<br>${argumentsList(field.args)}` : '';
      return `| \`${field.name}\` | ${typeLink(field.type)} | ${cell(field.description)}${deprecation(field.deprecationReason)}${args} |`;
    }),
  ];
}

function typeSection(type: GraphQLNamedType): string[] {
  const lines = [`### ${type.name}`, ''];
  if (type.description) lines.push(type.description.trim(), '');
  if (isObjectType(type) || isInterfaceType(type)) {
    const interfaces = type.getInterfaces();
    if (interfaces.length > 0) lines.push(`Implements ${interfaces.map((i) => typeLink(i)).join(', ')}.`, '');
    lines.push(...fieldsTable(Object.values(type.getFields())));
  } else if (isUnionType(type)) {
    lines.push(
      `One of ${type
        .getTypes()
        .map((member) => typeLink(member))
        .join(', ')}.`,
    );
  } else if (isEnumType(type)) {
    lines.push(
      '| Value | Description |',
      '| --- | --- |',
      ...type
        .getValues()
        .map(
          (value) =>
            `| \`${value.name}\` | ${cell(value.description)}${deprecation(value.deprecationReason)} |`,
        ),
    );
  } else if (isInputObjectType(type)) {
    lines.push(
      '| Field | Type | Default | Description |',
      '| --- | --- | --- | --- |',
      ...Object.values(type.getFields()).map(
        (field) =>
          `| \`${field.name}\` | ${typeLink(field.type)} | ${defaultText(field)} | ${cell(field.description)} |`,
      ),
    );
  } else if (isScalarType(type)) {
    lines.push('A scalar: sent and received as a string.');
  }
  lines.push('');
  return lines;
}

export function renderSchemaReference(schema: GraphQLSchema): string {
  const queryType = schema.getQueryType();
  const types = Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type) && type !== queryType)
    .sort((a, b) => a.name.localeCompare(b.name));
  const groups: [string, (type: GraphQLNamedType) => boolean][] = [
    ['Objects', isObjectType],
    ['Interfaces', isInterfaceType],
    ['Unions', isUnionType],
    ['Enums', isEnumType],
    ['Input objects', isInputObjectType],
    ['Scalars', isScalarType],
  ];
  const lines = [
    GENERATED('src/modules/<module>/<module>.graphql'),
    '',
    '# Schema reference',
    '',
    'Every type, field and argument of the Byline GraphQL API, with the descriptions written in the SDL',
    '(`src/modules/<module>/<module>.graphql`). The same descriptions appear in the playground’s documentation explorer',
    '(`/playground`). Everything is read-only: content arrives through ingest (see',
    '[content-format.md](content-format.md)).',
    '',
    '## Contents',
    '',
    '- [Queries](#queries)',
    ...groups
      .filter(([, is]) => types.some(is))
      .map(([title]) => `- [${title}](#${anchor(title).replace(/ /g, '-')})`),
    '',
  ];
  if (queryType) {
    lines.push('## Queries', '');
    if (queryType.description) lines.push(queryType.description.trim(), '');
    lines.push(...fieldsTable(Object.values(queryType.getFields())), '');
  }
  for (const [title, is] of groups) {
    const members = types.filter(is);
    if (members.length === 0) continue;
    lines.push(`## ${title}`, '');
    for (const type of members) lines.push(...typeSection(type));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function renderConfigurationReference(): string {
  return `${[
    GENERATED('src/config.ts'),
    '',
    '# Configuration',
    '',
    'Byline reads every setting from the environment, once, at start (`src/config.ts`). A bad value stops',
    'the process before it listens, with one line per bad variable saying what was expected and what came;',
    'the CLI exits 78 then. Unset or empty means the default. `byline serve --port` and `--host` override',
    '`PORT` and `HOST`.',
    '',
    '| Variable | Default | Description |',
    '| --- | --- | --- |',
    ...configReference.map(
      (entry) => `| \`${entry.variable}\` | ${cell(entry.defaultText)} | ${cell(entry.description)} |`,
    ),
  ].join('\n')}\n`;
}
