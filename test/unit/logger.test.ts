import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/http/logger.ts';

afterEach(() => vi.restoreAllMocks());

describe('the logger', () => {
  it('writes the lines of one event-loop turn with one write, in order, with secrets redacted', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
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
});
