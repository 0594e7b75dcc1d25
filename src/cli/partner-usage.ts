/** The `byline partner` synopsis, apart from the command so `byline --help` need not load it. */
export const partnerUsage = [
  'byline partner create <name> [--origin <origin>]… [--scope preview|body|developer]… [--rate-limit <per minute>] [--cost-budget <n>]',
  'byline partner list',
  'byline partner revoke <id|name>',
  'byline partner rotate <id|name>',
].join('\n       ');
