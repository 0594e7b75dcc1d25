import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Who is asking, behind load balancers: the peer's address, unless the peer is a trusted proxy, in
 * which case its forwarding headers say. Rate limits and log lines count by `clientAddress`; public
 * URLs come from `publicUrl`.
 */
export interface Forwarding {
  /** The client's address: the nearest untrusted hop of the forwarding chain (the peer when it is untrusted). */
  clientAddress(req: IncomingMessage): string;
  /**
   * The base of public URLs for this request: the configured one, or the forwarded protocol and host
   * when `fromProxy` is on and the peer is trusted.
   */
  publicUrl(req: IncomingMessage): string;
  /** Whether `publicUrl` can differ between requests (so caches must key by it). */
  readonly publicUrlVaries: boolean;
}

export interface ForwardingOptions {
  /** Addresses and CIDR blocks (validated by src/config.ts). */
  readonly trustedProxies: readonly string[];
  readonly publicUrl: string;
  readonly publicUrlFromProxy: boolean;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function normalize(address: string): string {
  const trimmed = address.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
}

/** `for=` of RFC 7239 allows `"[2001:db8::1]:4711"` and `192.0.2.60:80`; the address alone. */
function nodeAddress(raw: string): string {
  const value = raw.trim().replace(/^"(.*)"$/, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(value);
  return normalize(withPort ? withPort[1]! : value);
}

function headerText(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The elements of a `Forwarded` header (https://www.rfc-editor.org/rfc/rfc7239#section-4), keys lower-cased. */
function forwardedElements(header: string): Map<string, string>[] {
  const elements: Map<string, string>[] = [];
  let current = new Map<string, string>();
  // key=token or key="quoted string", separated by ';' within an element and ',' between elements.
  const pair = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*([;,]?)/gy;
  let match: RegExpExecArray | null;
  while ((match = pair.exec(header)) !== null && match[0] !== '') {
    const [, key, value, separator] = match;
    current.set(key!.toLowerCase(), value!.replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1'));
    if (separator === ',' || separator === '') {
      elements.push(current);
      current = new Map();
      if (separator === '') break;
    }
  }
  if (current.size > 0) elements.push(current);
  return elements;
}

/** The forwarding chain, client first, as the proxies wrote it: `Forwarded` when present, else `X-Forwarded-For`. */
function forwardedChain(req: IncomingMessage): string[] {
  const forwarded = headerText(req, 'forwarded');
  if (forwarded !== undefined) {
    return forwardedElements(forwarded).flatMap((element) => {
      const value = element.get('for');
      return value === undefined ? [] : [nodeAddress(value)];
    });
  }
  const xff = headerText(req, 'x-forwarded-for');
  if (xff === undefined) return [];
  return xff
    .split(',')
    .map((entry) => nodeAddress(entry))
    .filter((entry) => entry !== '');
}

/** The last (nearest proxy's) value of a forwarded parameter: a value a client sent comes before it. */
function lastForwarded(req: IncomingMessage, parameter: 'proto' | 'host'): string | undefined {
  const forwarded = headerText(req, 'forwarded');
  if (forwarded !== undefined) {
    const values = forwardedElements(forwarded).flatMap((element) => element.get(parameter) ?? []);
    if (values.length > 0) return values[values.length - 1];
  }
  const value = headerText(req, `x-forwarded-${parameter}`);
  return value?.split(',').at(-1)?.trim();
}

const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function createForwarding(options: ForwardingOptions): Forwarding {
  const trusted = new BlockList();
  for (const entry of options.trustedProxies) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    if (family === 0) return false;
    return trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  const anyTrusted = options.trustedProxies.length > 0;
  const peerOf = (req: IncomingMessage) => normalize(req.socket?.remoteAddress ?? 'unknown');
  const base = new URL(options.publicUrl);
  const fromProxy = options.publicUrlFromProxy && anyTrusted;

  return {
    clientAddress(req) {
      const peer = peerOf(req);
      if (!anyTrusted || !isTrusted(peer)) return peer;
      // From the nearest hop outwards: the first address not a trusted proxy is the client; an entry
      // that is no address at all was not written by a proxy we trust, so the hop that passed it is.
      let client = peer;
      const chain = forwardedChain(req);
      for (let index = chain.length - 1; index >= 0; index -= 1) {
        const hop = chain[index]!;
        if (isIP(hop) === 0) return client;
        client = hop;
        if (!isTrusted(hop)) return hop;
      }
      return client;
    },
    publicUrl(req) {
      if (!fromProxy || !isTrusted(peerOf(req))) return options.publicUrl;
      const host = lastForwarded(req, 'host');
      if (host === undefined || !HOST.test(host)) return options.publicUrl;
      const proto = lastForwarded(req, 'proto')?.toLowerCase();
      const protocol = proto === 'http' || proto === 'https' ? proto : base.protocol.slice(0, -1);
      return `${protocol}://${host.toLowerCase()}${base.pathname.replace(/\/$/, '')}`;
    },
    publicUrlVaries: fromProxy,
  };
}
