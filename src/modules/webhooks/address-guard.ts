import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Receivers must be on the public internet: a webhook URL is chosen by a partner, and Byline must not
 * become a way to reach its own loopback, private network or cloud metadata service (SSRF). The
 * address is checked when the endpoint is registered and again at every connection (the lookup of the
 * socket itself), so a name that later resolves elsewhere (DNS rebinding) is refused too.
 * Special-purpose ranges: https://www.iana.org/assignments/iana-ipv4-special-registry and
 * https://www.iana.org/assignments/iana-ipv6-special-registry
 */
const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}

export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
}

/** The configured exceptions (BYLINE_WEBHOOK_ALLOWED_NETWORKS), as a BlockList to test against. */
export function allowedNetworks(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/** Why this address may not receive webhooks, or undefined when it may. */
export function refusalOf(address: string, allowed: BlockList): string | undefined {
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const [checked, type] = mapped
    ? [mapped, 'ipv4' as const]
    : [address, family === 6 ? ('ipv6' as const) : ('ipv4' as const)];
  if (allowed.check(checked, type)) return undefined;
  if (refused.check(checked, type)) {
    return `${checked} is a loopback, private, link-local or reserved address (allow it in BYLINE_WEBHOOK_ALLOWED_NETWORKS)`;
  }
  return undefined;
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the URL's host and refuses it when any of its addresses may not receive webhooks.
 * Throws WebhookAddressError saying which address and why.
 */
export async function checkReceiverAddress(url: URL, allowed: BlockList): Promise<void> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await dnsLookupAsync(host, { all: true })).map((entry) => entry.address);
    } catch (error) {
      throw new WebhookAddressError(`url: the host "${host}" does not resolve (${(error as Error).message})`);
    }
  }
  for (const address of addresses) {
    const why = refusalOf(address, allowed);
    if (why) throw new WebhookAddressError(`url: "${host}" resolves to ${why}`);
  }
}

/**
 * A `lookup` for the sending socket: resolves as Node would, then refuses addresses that may not
 * receive webhooks, so the connection goes only to an address that was checked.
 */
export function guardedLookup(allowed: BlockList): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, results: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const result of results) {
        const why = refusalOf(result.address, allowed);
        if (why) return callback(new WebhookAddressError(`"${hostname}" resolves to ${why}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, r: LookupAddress[]) => void)(null, results);
      const first = results[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** Refuses an IP-literal host before connecting (Node skips `lookup` for literals). */
export function checkLiteralHost(url: URL, allowed: BlockList): void {
  const host = hostOf(url);
  if (isIP(host) === 0) return;
  const why = refusalOf(host, allowed);
  if (why) throw new WebhookAddressError(why);
}
