import http from 'node:http';
import https from 'node:https';
import type { BlockList } from 'node:net';
import { checkLiteralHost, guardedLookup } from './address-guard.ts';

/** What one attempt came to. */
export interface SendResult {
  /** The HTTP status, or null when none came (timeout, refused address, network error). */
  readonly status: number | null;
  /** Time to the response's status line and headers (or to the failure), in ms. */
  readonly latencyMs: number;
  /** Why it failed; undefined for a 2xx. */
  readonly error?: string | undefined;
}

/** Of a receiver's answer, only this much is read (into the log, for an error); the rest is dropped. */
const BODY_SNIPPET_BYTES = 512;

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * POSTs one webhook. Success is a 2xx; a redirect is a failure and never followed (the target was
 * checked, where it points was not); the answer's body is not buffered beyond a short snippet, so a
 * receiver sending megabytes costs nothing; no answer within `timeoutMs` is a failure.
 */
export function sendWebhook(options: {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly allowed: BlockList;
}): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let url: URL;
    try {
      url = new URL(options.url);
      checkLiteralHost(url, options.allowed);
    } catch (error) {
      finish({ status: null, latencyMs: elapsed(), error: (error as Error).message });
      return;
    }
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request(url, {
      method: 'POST',
      agent: agents[secure ? 'https:' : 'http:'],
      lookup: guardedLookup(options.allowed),
      headers: {
        ...options.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(options.body)),
        'user-agent': 'Byline-Webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: null, latencyMs: elapsed(), error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    request.on('error', (error) => finish({ status: null, latencyMs: elapsed(), error: error.message }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const latencyMs = elapsed();
      if (status >= 200 && status < 300) {
        // Drained, not kept: the socket goes back to the pool once the answer ends; a huge one is cut.
        let seen = 0;
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 64 * 1024) response.destroy();
        });
        response.on('error', () => undefined);
        finish({ status, latencyMs });
        return;
      }
      let snippet = '';
      response.on('data', (chunk: Buffer) => {
        if (snippet.length < BODY_SNIPPET_BYTES) snippet += chunk.toString('utf8', 0, BODY_SNIPPET_BYTES);
        else response.destroy();
      });
      const fail = () => {
        const detail = snippet.slice(0, BODY_SNIPPET_BYTES).trim();
        const redirect =
          status >= 300 && status < 400
            ? `redirect to ${response.headers.location ?? '(no location)'} not followed`
            : `answered ${status}`;
        finish({ status, latencyMs, error: detail ? `${redirect}: ${detail}` : redirect });
      };
      response.on('end', fail);
      response.on('close', fail);
      response.on('error', fail);
    });
    request.end(options.body);
  });
}
