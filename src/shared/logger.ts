import { pino, type Logger } from 'pino';
import { traceLogFields } from './tracing.ts';

export type { Logger };

/** What a log line keeps of an error. */
export interface LoggedError {
  readonly type: string;
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
}

/**
 * Errors as type, code, message and stack only (the stack is where an unexpected error came from;
 * its first line is the message again). pino's default serializer copies every enumerable property,
 * and driver errors carry their internals: pg's have the SQL text and parameters of the statement,
 * and errors raised on a connection can reach the client object with its backend's cancel key.
 */
export function serializeError(value: unknown): LoggedError | unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return {
    type: value.name || value.constructor.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    message: value.message.slice(0, 500),
    ...(value.stack ? { stack: value.stack } : {}),
  };
}

/** Structured JSON logs; credentials never reach them, whatever logs a request. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'byline' },
      // The active span's trace and span ids, so a line can be found from its trace and back.
      mixin: traceLogFields,
      serializers: { err: serializeError, error: serializeError },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'headers.authorization',
          'headers["x-api-key"]',
          'headers.cookie',
          'authorization',
          'apiKey',
          'partnerKey',
          'key',
          '*.apiKey',
          '*.partnerKey',
          '*.key',
          '*.password',
          '*.authorization',
          'query',
          'parameters',
          '*.query',
          '*.parameters',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
