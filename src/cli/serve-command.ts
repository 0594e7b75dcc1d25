import { createServer } from 'node:net';
import { tracesEndpoint, type Config } from '../config.ts';
import type { RunningGateway } from '../http/start-gateway.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { EXIT, type RunCommand } from './command.ts';

/** How often a server started by npm checks that npm's shell is still its parent. */
const PARENT_CHECK_MS = 500;

/**
 * Under `npx byline serve` npm passes SIGTERM to its `sh -c`, which dies without passing it on and
 * leaves this process to init: that re-parenting becomes the SIGTERM that never arrived (drain once
 * ready, exit before). Only when npm started us: `nohup byline serve &` must outlive its shell.
 */
function forwardParentExit(): void {
  if (!process.env['npm_lifecycle_event']) return;
  const parent = process.ppid;
  const check = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(check);
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_CHECK_MS);
  check.unref();
}

export const runServe: RunCommand = async (args, config) => {
  if (args.length > 0) {
    console.error(`byline serve: expected no arguments, got "${args.join(' ')}"`);
    return EXIT.usage;
  }
  forwardParentExit();
  const logger = createLogger(config.logLevel);
  // The SDK is loaded only when spans are exported: otherwise no span is ever made.
  const tracing = tracesEndpoint(config)
    ? await (await import('../observability/tracing.ts')).startTracing(config)
    : undefined;
  if (tracing) logger.info({ exportTo: tracing.exportTo }, 'tracing: spans exported over OTLP');
  let running: RunningGateway;
  try {
    // Try the port first: loading the server, the database, migrations and the demo take seconds.
    await probePort(config.port, config.host);
    const { startGateway } = await import('../http/start-gateway.ts');
    running = await startGateway(config, logger);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(
        `byline serve: port ${config.port} on ${config.host} is already in use; stop what listens there or set PORT`,
      );
      return EXIT.failure;
    }
    throw error;
  }
  logger.info(
    { url: running.url, database: running.database.engine, node: process.version, pid: process.pid },
    `Byline ready at ${running.url} (database: ${running.database.engine})`,
  );
  await untilStopped(running, logger, config);
  await tracing
    ?.shutdown()
    .catch((error: unknown) => logger.warn({ err: error }, 'tracing: last spans not sent'));
  return EXIT.ok;
};

/** Binds and releases the port; rejects as the gateway's own listen would (EADDRINUSE, EACCES). */
function probePort(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Resolves once SIGTERM or SIGINT has drained the server. */
function untilStopped(running: RunningGateway, logger: Logger, config: Config): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (reason: Record<string, unknown>) => {
      if (stopping) return;
      stopping = true;
      logger.info({ ...reason, graceMs: config.shutdownGraceMs }, 'shutting down');
      running.stop().then(
        () => {
          logger.info('stopped');
          resolve();
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve();
        },
      );
    };
    process.once('SIGTERM', () => stop({ signal: 'SIGTERM' }));
    process.once('SIGINT', () => stop({ signal: 'SIGINT' }));
  });
}
