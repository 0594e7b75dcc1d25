import { userInfo } from 'node:os';
import { takeDownArticle } from '../ingest/article-lifecycle.ts';
import { IngestConflictError } from '../ingest/ingest-article.ts';
import { EXIT, type RunCommand } from './command.ts';
import { requestServer, ServerRequestError } from './server-client.ts';
import { chooseWriteTarget, openWriteDatabase } from './write-target.ts';

const TAKE_DOWN = `mutation TakeDown($slug: String!, $reason: String!) {
  takeDownArticle(article: { slug: $slug }, reason: $reason) { revision article { slug takedown { at by } } }
}`;

function who(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}

/** `byline takedown <slug> --reason …`: the takeDownArticle mutation, from a shell. */
export const runTakedown: RunCommand = async (args, config, flags) => {
  const reason = typeof flags['reason'] === 'string' ? flags['reason'].trim() : '';
  if (args.length !== 1 || reason === '') {
    console.error('byline takedown: expected one article slug and --reason "<why>"');
    return EXIT.usage;
  }
  const slug = args[0]!;
  const target = await chooseWriteTarget(config, 'takedown');
  if (target.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  if (target.kind === 'server') {
    try {
      const { takeDownArticle } = await requestServer<{
        takeDownArticle: { article: { slug: string; takedown: { at: string; by: string } } };
      }>(target, TAKE_DOWN, { slug, reason });
      console.log(
        `taken down  ${takeDownArticle.article.slug}  at ${takeDownArticle.article.takedown.at} by ${takeDownArticle.article.takedown.by}`,
      );
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ServerRequestError && error.code !== undefined) {
        console.error(`byline takedown: ${error.message}`);
        return EXIT.failure;
      }
      throw error;
    }
  }
  const database = await openWriteDatabase(config);
  try {
    const result = await takeDownArticle(database.db, { slug }, { reason, by: who() });
    console.log(`taken down  ${result.slug}  (revision ${result.revision})`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof IngestConflictError) {
      console.error(`byline takedown: ${error.message}`);
      return EXIT.failure;
    }
    throw error;
  } finally {
    await database.close();
  }
};
