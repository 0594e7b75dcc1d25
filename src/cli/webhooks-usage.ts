/** The `byline webhooks` synopsis, apart from the command so `byline --help` need not load it. */
export const webhooksUsage = [
  'byline webhooks add <partner> <url> [--type article.published]… [--section <slug>]… [--tag <slug>]… [--description <text>]',
  'byline webhooks list [<partner>]',
  'byline webhooks rotate|enable|disable|delete <id>',
  'byline webhooks replay <id> (--from <position> | --failed)',
  'byline webhooks log <id> [--limit <n>]',
].join('\n       ');
