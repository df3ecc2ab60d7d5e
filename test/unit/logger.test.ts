import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/http/logger.ts';

afterEach(() => vi.restoreAllMocks());

/** What the process writes to stdout, one entry per write. */
function captureStdout(): string[] {
  const writes: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  return writes;
}

describe('the logger', () => {
  it('writes the lines of one event-loop turn with one write, in order, with secrets redacted', async () => {
    const writes = captureStdout();
    const log = createLogger('info');
    log.info({ n: 1 }, 'first');
    log.info({ n: 2, authorization: 'Bearer abc' }, 'second');
    log.child({ requestId: 'r1' }).info({ req: { token: 'xyz' } }, 'third');
    expect(writes).toEqual([]); // not one write(2) per line
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    const lines = writes[0]!.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.msg)).toEqual(['first', 'second', 'third']);
    expect(lines[1]).toMatchObject({ authorization: '[Redacted]' });
    expect(lines[2]).toMatchObject({ requestId: 'r1', req: { token: '[Redacted]' } });
    expect(writes[0]).not.toContain('abc');
    expect(writes[0]).not.toContain('xyz');
  });

  it('censors every secret key at the top and one level down, in errors and bindings too, and leaves the caller’s objects alone', async () => {
    const writes = captureStdout();
    const log = createLogger('info');
    const headers = { authorization: 'Bearer s1', accept: 'application/json' };
    const failure = Object.assign(new Error('refused'), { password: 's2' });
    Object.defineProperty(failure, 'secret', { get: () => 's3', enumerable: true });
    const deep = { outer: { inner: { token: 'kept three levels down' } } };
    log.info({ headers, list: [{ token: 'in an array' }], password: 's4', secret: 's5', token: 's6' }, 'one');
    log.error({ err: failure }, 'two');
    log.child({ token: 's7', session: { secret: 's8' } }).info(deep, 'three');
    await new Promise((resolve) => setImmediate(resolve));
    const [one, two, three] = writes.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(one).toMatchObject({ headers: { authorization: '[Redacted]', accept: 'application/json' }, password: '[Redacted]', secret: '[Redacted]', token: '[Redacted]' });
    // pino's `*.token` never reached into arrays, nor further than one level down.
    expect(one!.list).toEqual([{ token: 'in an array' }]);
    expect(two).toMatchObject({ err: { type: 'Error', message: 'refused', password: '[Redacted]', secret: '[Redacted]' } });
    expect((two!.err as { stack: string }).stack).toContain('refused');
    expect(three).toMatchObject({ token: '[Redacted]', session: { secret: '[Redacted]' }, outer: { inner: { token: 'kept three levels down' } } });
    for (const secret of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) expect(writes.join('')).not.toContain(`"${secret}"`);
    expect(headers.authorization).toBe('Bearer s1');
    expect(failure.password).toBe('s2');
    expect((failure as unknown as { secret: string }).secret).toBe('s3');
  });
});
