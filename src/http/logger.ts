import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout; `LOG_LEVEL` picks the level (default info; `silent` in tests).
 *
 * Lines are batched per turn of the event loop and written with one `process.stdout.write` (synchronous for files,
 * pipes and terminals on Linux), instead of one write(2) per line, which cost about a third of a trivial request's
 * CPU (issue 9). What is pending is written when the process exits. Not sonic-boom's `sync: false`: its exit flush
 * retries a closed pipe forever, so a server whose log reader went away could hang on exit.
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
    stdoutBatch(),
  );
}

let shared: { write(line: string): void } | undefined;

/** One batching writer per process (every logger shares it, so lines keep their order). */
function stdoutBatch(): { write(line: string): void } {
  if (shared) return shared;
  let pending: string[] = [];
  let scheduled = false;
  let broken = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (broken) return;
    try {
      process.stdout.write(chunk);
    } catch {
      broken = true;
    }
  };
  // A reader that went away (EPIPE) ends logging, not the process.
  process.stdout.on('error', () => {
    broken = true;
  });
  process.once('exit', flush);
  shared = {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
  return shared;
}
