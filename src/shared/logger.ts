import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; credentials never reach them, whatever logs a request. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'byline' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'headers.authorization',
          'headers["x-api-key"]',
          '*.apiKey',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
