import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info; `silent` in tests). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: ['*.authorization', '*.password', '*.secret', '*.token'],
  });
}
