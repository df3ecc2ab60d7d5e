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
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactSecrets },
    },
    stdoutBatch(),
  );
  // A child's bindings are censored too. pino gives children no bindings formatter, so its `child` is wrapped; a
  // child is made from its parent's object, so children of children inherit the wrapper.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  } as typeof child;
  return logger;
}

const SECRETS = ['authorization', 'password', 'secret', 'token'];
const CENSOR = '[Redacted]';

/**
 * A line's secrets censored: a key named in {@link SECRETS} at the top of the object or one level down (pino's
 * `redact` paths `authorization` and `*.authorization`, and so on). What holds none is the object itself, so a line
 * without secrets costs a few key lookups; otherwise the line gets copies and the caller's objects are untouched.
 *
 * Not pino's `redact` option: its @pinojs/redact parses every path again for every value of every line, which cost
 * a request's access line and child logger 5 µs and 11 KB of garbage (issue 9).
 */
export function redactSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const value = object[key];
    const censored = SECRETS.includes(key) ? CENSOR : typeof value === 'object' && value !== null && !Array.isArray(value) ? censorInside(value) : value;
    if (censored !== value) {
      copy ??= { ...object };
      copy[key] = censored;
    }
  }
  return copy ?? object;
}

/** The object with its own secret keys censored (a copy), or itself when it has none. An Error stays an Error. */
function censorInside(value: object): object {
  const found = SECRETS.filter((key) => Object.hasOwn(value, key));
  if (found.length === 0) return value;
  // Described, not assigned: the original's property may be a getter, read-only or not configurable.
  const descriptors = Object.getOwnPropertyDescriptors(value);
  for (const key of found) descriptors[key] = { value: CENSOR, enumerable: true, writable: true, configurable: true };
  return Object.create(Object.getPrototypeOf(value), descriptors) as object;
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
