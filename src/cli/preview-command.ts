import { findPreviewTarget, revokeArticlePreviews } from '../ingest/article-lifecycle.ts';
import { IngestConflictError } from '../ingest/ingest-article.ts';
import {
  DEFAULT_PREVIEW_SECONDS,
  MAX_PREVIEW_SECONDS,
  PREVIEW_SECRET_MISSING,
  signPreviewToken,
} from '../modules/lifecycle/index.ts';
import { EXIT, type RunCommand } from './command.ts';
import { requestServer, ServerRequestError } from './server-client.ts';
import { chooseWriteTarget, openWriteDatabase } from './write-target.ts';

const CREATE = `mutation CreatePreviewLink($slug: String!, $expiresIn: Int) {
  createPreviewLink(article: { slug: $slug }, expiresIn: $expiresIn) { token expiresAt url embedUrl }
}`;
const REVOKE = `mutation RevokePreviewLinks($slug: String!) {
  revokePreviewLinks(article: { slug: $slug }) { slug }
}`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `30m`, `1h`, `7d` as seconds, or null when it is not such a duration. */
export function parseDuration(raw: string): number | null {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

/** `byline preview <slug> [--expires 1h] [--revoke]`: the createPreviewLink / revokePreviewLinks mutations, from a shell. */
export const runPreview: RunCommand = async (args, config, flags) => {
  const revoke = Boolean(flags['revoke']);
  const rawExpires = typeof flags['expires'] === 'string' ? flags['expires'] : undefined;
  if (args.length !== 1) {
    console.error('byline preview: expected one article slug');
    return EXIT.usage;
  }
  const expiresIn = rawExpires === undefined ? DEFAULT_PREVIEW_SECONDS : parseDuration(rawExpires);
  if (expiresIn === null || expiresIn < 1 || expiresIn > MAX_PREVIEW_SECONDS) {
    console.error(
      `byline preview: --expires: expected a duration from 1s to 7d, like 30m, 1h or 2d, got ${JSON.stringify(rawExpires)}`,
    );
    return EXIT.usage;
  }
  const slug = args[0]!;
  const target = await chooseWriteTarget(config, 'preview');
  if (target.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  if (target.kind === 'server') {
    try {
      if (revoke) {
        await requestServer(target, REVOKE, { slug });
        console.log(`revoked  every preview link of ${slug}`);
        return EXIT.ok;
      }
      const { createPreviewLink } = await requestServer<{
        createPreviewLink: { token: string; expiresAt: string; url: string; embedUrl: string };
      }>(target, CREATE, { slug, expiresIn });
      printLink(createPreviewLink);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ServerRequestError && error.code !== undefined) {
        console.error(`byline preview: ${error.message}`);
        return EXIT.failure;
      }
      throw error;
    }
  }
  // Signed here, the link must open on the servers: only with the key they share.
  if (!revoke && config.previewSecret === undefined) {
    console.error(
      `byline preview: ${PREVIEW_SECRET_MISSING} (the servers that open the link need the same key)`,
    );
    return EXIT.config;
  }
  const database = await openWriteDatabase(config);
  try {
    if (revoke) {
      const result = await revokeArticlePreviews(database.db, { slug });
      console.log(`revoked  every preview link of ${result.slug}`);
      return EXIT.ok;
    }
    const article = await findPreviewTarget(database.db, { slug });
    const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
    const token = signPreviewToken(config.previewSecret!, {
      articleId: article.articleId,
      epoch: article.epoch,
      expiresAt,
    });
    const base = config.publicUrl;
    const query = `?preview=${encodeURIComponent(token)}`;
    printLink({
      token,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      url: `${base}/articles/${encodeURIComponent(article.slug)}${query}`,
      embedUrl: `${base}/embed/articles/${encodeURIComponent(article.slug)}${query}`,
    });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof IngestConflictError) {
      console.error(`byline preview: ${error.message}`);
      return EXIT.failure;
    }
    throw error;
  } finally {
    await database.close();
  }
};

function printLink(link: { token: string; expiresAt: string; url: string; embedUrl: string }): void {
  console.log(`preview link  expires ${link.expiresAt}`);
  console.log(`  page   ${link.url}`);
  console.log(`  embed  ${link.embedUrl}`);
  console.log(`  token  ${link.token}  (GraphQL: header "Byline-Preview: <token>")`);
}
