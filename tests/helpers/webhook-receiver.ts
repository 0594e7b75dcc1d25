import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a receiver got, as a consumer sees it. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  readonly payload: {
    type: string;
    timestamp: string;
    data: { id: string; position: number; articleId: string; slug: string };
  };
  readonly at: number;
}

/** How the receiver answers one request: it may hang (never answer), redirect, send a huge body… */
export type ReceiverHandler = (
  request: ReceivedWebhook,
  response: http.ServerResponse,
  received: readonly ReceivedWebhook[],
) => void;

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Received requests, one per webhook-id (the first), in arrival order: what a deduplicating consumer keeps. */
  deduplicated(): ReceivedWebhook[];
  answer(handler: ReceiverHandler): void;
  close(): Promise<void>;
}

export const answerOk: ReceiverHandler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/** A real HTTP receiver on loopback recording every webhook request it gets. */
export async function startWebhookReceiver(handler: ReceiverHandler = answerOk): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let current = handler;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: ReceivedWebhook['payload'];
      try {
        payload = JSON.parse(body) as ReceivedWebhook['payload'];
      } catch {
        res.writeHead(400).end();
        return;
      }
      const request: ReceivedWebhook = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        payload,
        at: Date.now(),
      };
      received.push(request);
      current(request, res, received);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    deduplicated: () => {
      const seen = new Set<string>();
      return received.filter((request) => !seen.has(request.id) && seen.add(request.id));
    },
    answer: (next) => {
      current = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
