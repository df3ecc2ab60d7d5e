import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info; `silent` in tests).
 *
 * Written asynchronously (sonic-boom `sync: false`): a line is written at once when stdout is idle, and lines logged
 * while a write is in flight go out together in the next one, instead of one blocking write(2) per line, which cost
 * about a third of a trivial request's CPU (issue 9). Pino flushes what is pending when the process exits.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: ['authorization', 'password', 'secret', 'token', '*.authorization', '*.password', '*.secret', '*.token'],
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
