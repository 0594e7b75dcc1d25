import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { databasePartnerAdmin, runPartnerCommand } from '../src/cli/partner-command.ts';
import {
  findPartnerById,
  revokePartner,
  rotatePartnerKey,
  viewerForPartner,
} from '../src/modules/partners/index.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { ingestDocuments, makePartner, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

const PARTNER_ORIGIN = 'https://partner.example';
const story = makeArticle({ slug: 'partner-story', headline: 'Partners read this' });
const draft = makeArticle({ slug: 'partner-draft', status: 'draft', publishedAt: undefined });
const ARTICLE = `query ($slug: String!) { article(slug: $slug) { headline standfirst embed { iframeUrl } body { __typename } } }`;

describeEachEngine('partner keys', (engine) => {
  let withBody: { id: number; key: string };
  let withoutBody: { id: number; key: string };
  let preview: { id: number; key: string };

  const storyAs = (headers: Record<string, string>) =>
    gateway.graphql(ARTICLE, { variables: { slug: 'partner-story' }, headers });

  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      await ingestDocuments(handle.db, [story, draft]);
      withBody = await makePartner(handle.db, {
        name: 'With Body',
        scopes: ['body'],
        origins: [PARTNER_ORIGIN],
        rateLimitPerMinute: 600,
        costBudget: 5000,
      });
      withoutBody = await makePartner(handle.db, {
        name: 'Headlines Only',
        origins: ['https://other.example'],
      });
      preview = await makePartner(handle.db, { name: 'Preview', scopes: ['preview', 'body'] });
    },
  });

  describe('authentication', () => {
    it('accepts a key as "Authorization: Bearer" and as "x-api-key"', async () => {
      for (const headers of [{ authorization: `Bearer ${withBody.key}` }, { 'x-api-key': withBody.key }]) {
        const { status, body } = await storyAs(headers);
        expect(status).toBe(200);
        expect(body.errors).toBeUndefined();
        expect(body.data!.article.embed.iframeUrl).toContain(`?partner=${withBody.id}`);
      }
    });

    it('answers 401 UNAUTHENTICATED for a malformed, unknown or doubled key, never falling back to anonymous', async () => {
      const forged = withBody.key.slice(0, -4) + (withBody.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const [headers, message] of [
        [{ authorization: 'Bearer nonsense' }, 'malformed'],
        [{ authorization: `Basic ${withBody.key}` }, 'expected "Bearer <partner key>"'],
        [{ authorization: 'Bearer' }, 'expected "Bearer <partner key>"'],
        [{ 'x-api-key': '' }, 'malformed'],
        [{ 'x-api-key': forged }, 'not valid'],
        [{ 'x-api-key': `byl_000000000000_${'A'.repeat(43)}` }, 'not valid'],
        [{ authorization: `Bearer ${withBody.key}`, 'x-api-key': withBody.key }, 'not both'],
      ] as const) {
        const { status, headers: responseHeaders, body } = await storyAs(headers);
        expect(status, JSON.stringify(headers)).toBe(401);
        expect(responseHeaders.get('www-authenticate')).toContain('Bearer');
        expect(body.errors![0]!.extensions!['code']).toBe('UNAUTHENTICATED');
        expect(body.errors![0]!.message).toContain(message);
        expect(body.data).toBeUndefined();
      }
      for (const path of ['/oembed?url=x', '/embed/articles/partner-story', '/articles/partner-story']) {
        const response = await fetch(gateway.origin + path, { headers: { 'x-api-key': 'nonsense' } });
        expect(response.status, path).toBe(401);
      }
    });

    it('refuses a revoked key with 401 on the very next request', async () => {
      const doomed = await makePartner(gateway.db, { scopes: ['body'] });
      expect((await storyAs({ 'x-api-key': doomed.key })).status).toBe(200);
      await revokePartner(gateway.db, doomed.id);
      const { status, body } = await storyAs({ 'x-api-key': doomed.key });
      expect(status).toBe(401);
      expect(body.errors![0]!.message).toBe('Partner key has been revoked');
    });

    it('refuses the old key once rotated, and accepts the new one', async () => {
      const rotating = await makePartner(gateway.db);
      expect((await storyAs({ 'x-api-key': rotating.key })).status).toBe(200);
      const rotated = (await rotatePartnerKey(gateway.db, rotating.id))!;
      expect(rotated.key).not.toBe(rotating.key);
      expect((await storyAs({ 'x-api-key': rotating.key })).status).toBe(401);
      expect((await storyAs({ 'x-api-key': rotated.key })).status).toBe(200);
    });

    it('stores only a SHA-256 of the key and its non-secret prefix', async () => {
      const row = (await findPartnerById(gateway.db, withBody.id))!;
      expect(row.key_hash).toBe(createHash('sha256').update(withBody.key).digest('hex'));
      expect(withBody.key).toMatch(new RegExp(`^byl_${row.key_prefix}_[A-Za-z0-9_-]{43}$`));
      const secret = withBody.key.slice(`byl_${row.key_prefix}_`.length);
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it('gives the viewer the partner’s name, scopes, origins, rate limit and cost budget', async () => {
      const viewer = viewerForPartner((await findPartnerById(gateway.db, withBody.id))!);
      expect({ ...viewer, scopes: [...viewer.scopes] }).toEqual({
        kind: 'partner',
        partnerId: withBody.id,
        partnerName: 'With Body',
        scopes: ['body'],
        origins: [PARTNER_ORIGIN],
        rateLimitPerMinute: 600,
        costBudget: 5000,
      });
    });
  });

  describe('rights', () => {
    it('gives a key without the body right headline, standfirst and embed, and body null with FORBIDDEN', async () => {
      const { status, body } = await storyAs({ 'x-api-key': withoutBody.key });
      expect(status).toBe(200);
      expect(body.data!.article).toMatchObject({
        headline: 'Partners read this',
        standfirst: 'A standfirst for testing.',
        embed: { iframeUrl: expect.stringContaining('/embed/articles/partner-story') },
        body: null,
      });
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Article.body needs the "body" right, which this partner key does not have',
          path: ['article', 'body'],
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
    });

    it('gives the body to a key with the body right and to anonymous callers', async () => {
      for (const headers of [{ 'x-api-key': withBody.key }, {}]) {
        const { body } = await storyAs(headers);
        expect(body.errors).toBeUndefined();
        expect(body.data!.article.body).toHaveLength(3);
      }
    });

    it('shows drafts only to a key with the preview right', async () => {
      const query = '{ article(slug: "partner-draft") { headline status } }';
      expect((await gateway.graphql(query)).body.data!.article).toBeNull();
      expect(
        (await gateway.graphql(query, { headers: { 'x-api-key': withBody.key } })).body.data!.article,
      ).toBeNull();
      expect(
        (await gateway.graphql(query, { headers: { 'x-api-key': preview.key } })).body.data!.article,
      ).toEqual({ headline: draft.headline, status: 'DRAFT' });
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string, method: string, headers = 'authorization, content-type') =>
      fetch(`${gateway.origin}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': headers,
        },
      });

    it('answers a preflight from a partner origin with the partner headers', async () => {
      const response = await preflight(
        PARTNER_ORIGIN,
        'POST',
        'authorization, x-api-key, content-type, apollo-require-preflight',
      );
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN);
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')!.split(/,\s*/).sort()).toEqual([
        'apollo-require-preflight',
        'authorization',
        'content-type',
        'x-api-key',
      ]);
      expect(response.headers.get('vary')).toContain('Origin');
    });

    it('lets any other origin preflight only a GET, without credential headers', async () => {
      const post = await preflight('https://stranger.example', 'POST');
      expect(post.status).toBe(204);
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
      const get = await preflight('https://stranger.example', 'GET', 'apollo-require-preflight');
      expect(get.headers.get('access-control-allow-origin')).toBe('*');
      expect(get.headers.get('access-control-allow-headers')).not.toContain('authorization');
    });

    it('stops answering a revoked partner’s origin', async () => {
      const leaving = await makePartner(gateway.db, { origins: ['https://leaving.example'] });
      expect(
        (await preflight('https://leaving.example', 'POST')).headers.get('access-control-allow-origin'),
      ).toBe('https://leaving.example');
      await revokePartner(gateway.db, leaving.id);
      expect(
        (await preflight('https://leaving.example', 'POST')).headers.get('access-control-allow-origin'),
      ).toBeNull();
    });

    it('allows a keyed request only from the key’s own origins', async () => {
      const listed = await storyAs({ 'x-api-key': withBody.key, origin: PARTNER_ORIGIN });
      expect(listed.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN);
      const foreign = await storyAs({ 'x-api-key': withBody.key, origin: 'https://other.example' });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets a partner origin read why a key failed, and no other origin', async () => {
      const fromPartner = await storyAs({ 'x-api-key': 'nonsense', origin: PARTNER_ORIGIN });
      expect(fromPartner.status).toBe(401);
      expect(fromPartner.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN);
      const fromStranger = await storyAs({ 'x-api-key': 'nonsense', origin: 'https://stranger.example' });
      expect(fromStranger.status).toBe(401);
      expect(fromStranger.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows * for anonymous GETs and nothing for anonymous POSTs', async () => {
      const get = await fetch(
        `${gateway.origin}/graphql?query=${encodeURIComponent('{ article(slug: "partner-story") { headline } }')}`,
        { headers: { origin: 'https://reader.example', 'apollo-require-preflight': 'true' } },
      );
      expect(get.status).toBe(200);
      expect(get.headers.get('access-control-allow-origin')).toBe('*');
      expect(((await get.json().then(untyped)) as any).data.article.headline).toBe('Partners read this');
      const oembed = await fetch(`${gateway.origin}/oembed?url=x`, {
        headers: { origin: 'https://reader.example' },
      });
      expect(oembed.headers.get('access-control-allow-origin')).toBe('*');
      const post = await storyAs({ origin: 'https://reader.example' });
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('npm run partner', () => {
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runPartnerCommand(databasePartnerAdmin(gateway.db), argv, {
        log: (line) => out.push(line),
        error: (line) => err.push(line),
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };

    it('creates a partner and prints its key once; list, rotate and revoke never print it again', async () => {
      const created = await run(
        'create',
        'Daily Planet',
        '--origin',
        'https://planet.example',
        '--scope',
        'body,preview',
        '--rate-limit',
        '120',
      );
      expect(created.code).toBe(0);
      const key = /key {6}(byl_\S+)/.exec(created.out)![1]!;
      expect(created.out).toContain('scopes body,preview  origins https://planet.example  rate 120/min');
      expect((await storyAs({ 'x-api-key': key })).status).toBe(200);

      const listed = await run('list');
      expect(listed.out).toContain('Daily Planet');
      expect(listed.out).toContain(`${key.slice(0, 16)}_…`);
      expect(listed.out).not.toContain(key);

      const rotated = await run('rotate', 'Daily Planet');
      expect(rotated.code).toBe(0);
      const newKey = /key {6}(byl_\S+)/.exec(rotated.out)![1]!;
      expect(newKey).not.toBe(key);
      expect((await storyAs({ 'x-api-key': key })).status).toBe(401);

      const revoked = await run('revoke', 'Daily Planet');
      expect(revoked.code).toBe(0);
      expect(revoked.out).toContain('REVOKED');
      expect(revoked.out).not.toContain(newKey);
      expect((await storyAs({ 'x-api-key': newKey })).status).toBe(401);
      expect((await run('revoke', 'Daily Planet')).err).toContain('already revoked');
    });

    it('says what was wrong with bad input', async () => {
      expect(await run('create', 'X', '--scope', 'root')).toMatchObject({
        code: 2,
        err: expect.stringContaining('expected one of preview, body, developer, editor, admin, got "root"'),
      });
      expect(await run('create', 'Y', '--origin', 'https://y.example/path')).toMatchObject({
        code: 2,
        err: expect.stringContaining('with no path'),
      });
      expect(await run('create', 'With Body')).toMatchObject({
        code: 2,
        err: expect.stringContaining('already exists'),
      });
      expect(await run('revoke', 'nobody')).toMatchObject({
        code: 1,
        err: expect.stringContaining('no partner'),
      });
      expect(await run('frobnicate')).toMatchObject({
        code: 2,
        err: expect.stringContaining('expected create, list, revoke or rotate'),
      });
      expect(await run('create', 'Z', '--bogus')).toMatchObject({ code: 2 });
    });
  });
});
