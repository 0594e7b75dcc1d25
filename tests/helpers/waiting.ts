import net from 'node:net';
import pg from 'pg';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` up to `attempts` times, 100 ms apart; the bound keeps a broken system from hanging the suite. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  attempts: number,
  what: string,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}

/** A pg client of its own for one use; its errors (a server going away) never reach the process. */
export async function withClient<T>(
  url: string,
  use: (client: pg.Client) => Promise<T>,
  connectionTimeoutMillis = 5000,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A loopback port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
