import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createForwarding } from '../src/shared/client-address.ts';
import { createLogger } from '../src/shared/logger.ts';
import { describePostgres, engines } from './helpers/engines.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { REFERENCE_SLUG } from './helpers/load-loop.ts';
import { useGateway } from './helpers/use-gateway.ts';

/** A request as node:http hands it over: a peer address and headers. */
function requestFrom(peer: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

function logCollector() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        callback();
      },
    }),
  );
  return { lines, logger };
}

const ARTICLE_URL = `query { article(slug: "${REFERENCE_SLUG}") { url } }`;

async function getArticleUrl(origin: string, headers: Record<string, string>) {
  const search = new URLSearchParams({ query: ARTICLE_URL });
  const response = await fetch(`${origin}/graphql?${search}`, {
    headers: { 'apollo-require-preflight': 'true', ...headers },
  });
  const body = (await response.json()) as { data?: { article?: { url: string } } };
  return { url: body.data?.article?.url, cache: response.headers.get('x-cache') };
}

describe('BYLINE_TRUSTED_PROXIES', () => {
  it('takes addresses and CIDR blocks of both families', () => {
    expect(
      loadConfig({ BYLINE_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1 ::1 fd00::/8' }).trustedProxies,
    ).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    expect(loadConfig({}).trustedProxies).toEqual([]);
  });

  it('names the entry that is not an address or a block', () => {
    expect(() => loadConfig({ BYLINE_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ BYLINE_TRUSTED_PROXIES: '10.0.0.1,proxy.internal' })).toThrow(
      'BYLINE_TRUSTED_PROXIES: expected IP addresses or CIDR blocks (10.0.0.0/8, ::1), comma-separated, got "proxy.internal"',
    );
  });
});

describe('the client address', () => {
  const forwarding = createForwarding({
    trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
    publicUrl: TEST_PUBLIC_URL,
    publicUrlFromProxy: true,
  });

  it('is the peer when the peer is not a trusted proxy, whatever it forwards', () => {
    const forged = { 'x-forwarded-for': '198.51.100.7', forwarded: 'for=198.51.100.8' };
    expect(forwarding.clientAddress(requestFrom('203.0.113.5', forged))).toBe('203.0.113.5');
    expect(forwarding.clientAddress(requestFrom('::ffff:203.0.113.5', forged))).toBe('203.0.113.5');
  });

  it('is the nearest untrusted hop of X-Forwarded-For behind trusted proxies', () => {
    // The client wrote the first entry itself; only what trusted hops appended counts.
    const chain = { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.1.2.3' };
    expect(forwarding.clientAddress(requestFrom('10.0.0.2', chain))).toBe('198.51.100.7');
    expect(forwarding.clientAddress(requestFrom('10.0.0.2'))).toBe('10.0.0.2');
  });

  it('reads RFC 7239 Forwarded before X-Forwarded-For, with ports and IPv6 brackets', () => {
    const headers = {
      forwarded: 'for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, for=10.9.9.9:80',
      'x-forwarded-for': '198.51.100.99',
    };
    expect(forwarding.clientAddress(requestFrom('fd00::1', headers))).toBe('2001:db8::17');
  });

  it('stops at an entry that is no address: the trusted hop that passed it is the client', () => {
    const headers = { 'x-forwarded-for': '198.51.100.7, unknown, 10.0.0.3' };
    expect(forwarding.clientAddress(requestFrom('10.0.0.2', headers))).toBe('10.0.0.3');
  });

  it('builds public URLs from the nearest proxy’s protocol and host only when the peer is trusted', () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example, news.example' };
    expect(forwarding.publicUrl(requestFrom('10.0.0.2', headers))).toBe('https://news.example');
    expect(forwarding.publicUrl(requestFrom('203.0.113.5', headers))).toBe(TEST_PUBLIC_URL);
    expect(forwarding.publicUrl(requestFrom('10.0.0.2', { 'x-forwarded-host': 'a b<script>' }))).toBe(
      TEST_PUBLIC_URL,
    );
    const off = createForwarding({
      trustedProxies: ['10.0.0.0/8'],
      publicUrl: TEST_PUBLIC_URL,
      publicUrlFromProxy: false,
    });
    expect(off.publicUrl(requestFrom('10.0.0.2', headers))).toBe(TEST_PUBLIC_URL);
    expect(off.publicUrlVaries).toBe(false);
  });
});

describe('forged forwarding headers from an untrusted peer', () => {
  const { lines, logger } = logCollector();
  // The loopback peer is not trusted here.
  const gateway = useGateway(engines[0]!, {
    demo: true,
    logger,
    env: { BYLINE_RATE_LIMIT_PER_MINUTE: '3', BYLINE_TRUSTED_PROXIES: '10.0.0.0/8' },
  });

  it('neither escape the per-IP rate limit nor change the logged address', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      const response = await fetch(`${gateway.origin}/articles/${REFERENCE_SLUG}`, {
        headers: { 'x-forwarded-for': `198.51.100.${index}`, forwarded: `for=198.51.100.${index}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const clients = lines.filter((line) => line['msg'] === 'request').map((line) => line['clientAddress']);
    expect(clients).toHaveLength(4);
    expect(new Set(clients)).toEqual(new Set(['127.0.0.1']));
  });
});

describe('forwarding headers from a trusted proxy', () => {
  const { lines, logger } = logCollector();
  const gateway = useGateway(engines[0]!, {
    demo: true,
    logger,
    env: { BYLINE_RATE_LIMIT_PER_MINUTE: '2', BYLINE_TRUSTED_PROXIES: '127.0.0.1' },
  });

  it('give each forwarded client its own rate-limit bucket and log line address', async () => {
    const fetchAs = (client: string) =>
      fetch(`${gateway.origin}/articles/${REFERENCE_SLUG}`, { headers: { 'x-forwarded-for': client } }).then(
        (response) => response.status,
      );
    expect([
      await fetchAs('198.51.100.1'),
      await fetchAs('198.51.100.1'),
      await fetchAs('198.51.100.1'),
    ]).toEqual([200, 200, 429]);
    // Another reader behind the same proxy is not limited by the first one's requests.
    expect(await fetchAs('198.51.100.2')).toBe(200);
    const clients = lines.filter((line) => line['msg'] === 'request').map((line) => line['clientAddress']);
    expect(clients).toEqual(['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']);
  });
});

describePostgres('public URLs behind a trusted proxy', (engine) => {
  const gateway = useGateway(engine, {
    demo: true,
    env: (database) => ({
      DATABASE_URL: database.url!,
      BYLINE_TRUSTED_PROXIES: '127.0.0.1',
      BYLINE_PUBLIC_URL_FROM_PROXY: 'true',
    }),
  });

  it('come from X-Forwarded-Proto/Host, and the response cache keeps each base apart', async () => {
    const first = await getArticleUrl(gateway.origin, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'news.example',
    });
    expect(first.url).toBe(`https://news.example/articles/${REFERENCE_SLUG}`);
    expect(
      (
        await getArticleUrl(gateway.origin, {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'news.example',
        })
      ).cache,
    ).toBe('HIT');
    // Another host through the same proxy never gets the first one's cached answer.
    const other = await getArticleUrl(gateway.origin, {
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'mirror.example:8080',
    });
    expect(other).toEqual({ url: `http://mirror.example:8080/articles/${REFERENCE_SLUG}`, cache: 'MISS' });
    expect((await getArticleUrl(gateway.origin, {})).url).toBe(
      `${TEST_PUBLIC_URL}/articles/${REFERENCE_SLUG}`,
    );
  });

  it('never reach embed cards: their links stay on BYLINE_PUBLIC_URL', async () => {
    const response = await fetch(`${gateway.origin}/embed/articles/${REFERENCE_SLUG}`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
    });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain(`${TEST_PUBLIC_URL}/articles/${REFERENCE_SLUG}`);
    expect(html).not.toContain('evil.example');
  });
});

describePostgres('public URLs with an untrusted peer', (engine) => {
  const gateway = useGateway(engine, {
    demo: true,
    env: (database) => ({
      DATABASE_URL: database.url!,
      BYLINE_TRUSTED_PROXIES: '10.0.0.0/8',
      BYLINE_PUBLIC_URL_FROM_PROXY: 'true',
    }),
  });

  it('ignore a forged X-Forwarded-Host, so no cached answer carries it', async () => {
    const forged = await getArticleUrl(gateway.origin, { 'x-forwarded-host': 'evil.example' });
    expect(forged.url).toBe(`${TEST_PUBLIC_URL}/articles/${REFERENCE_SLUG}`);
    const plain = await getArticleUrl(gateway.origin, {});
    expect(plain).toEqual({ url: `${TEST_PUBLIC_URL}/articles/${REFERENCE_SLUG}`, cache: 'HIT' });
  });
});
