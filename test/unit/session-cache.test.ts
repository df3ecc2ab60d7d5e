/** The session check's cache (src/auth/session-cache.ts): ages, revocation, the race with a read in flight, bounds. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionCache, shareSessionRevocations } from '../../src/auth/session-cache.ts';
import { createEventBus } from '../../src/events/pubsub.ts';
import { createLogger } from '../../src/http/logger.ts';

const loader = (rows: Record<string, string | undefined>) => {
  const calls: string[] = [];
  return { calls, load: (id: string) => async () => (calls.push(id), rows[id]) };
};

afterEach(() => vi.useRealTimers());

describe('SessionCache', () => {
  it('serves a row read less than maxAgeMs ago, and reads again after that', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const cache = new SessionCache<string>(5_000);
    const { calls, load } = loader({ a: 'row a' });
    expect(await cache.read('a', load('a'))).toBe('row a');
    vi.setSystemTime(1_000_000 + 4_999);
    expect(await cache.read('a', load('a'))).toBe('row a');
    expect(calls).toEqual(['a']);
    vi.setSystemTime(1_000_000 + 5_000);
    expect(await cache.read('a', load('a'))).toBe('row a');
    expect(calls).toEqual(['a', 'a']);
  });

  it('reads again at once after forget and clear, and keeps no miss', async () => {
    const cache = new SessionCache<string>(60_000);
    const { calls, load } = loader({ a: 'row a', b: 'row b' });
    await cache.read('a', load('a'));
    await cache.read('b', load('b'));
    cache.forget('a');
    await cache.read('a', load('a'));
    await cache.read('b', load('b'));
    expect(calls).toEqual(['a', 'b', 'a']);
    cache.clear();
    await cache.read('b', load('b'));
    expect(calls).toEqual(['a', 'b', 'a', 'b']);
    expect(await cache.read('gone', load('gone'))).toBeUndefined();
    expect(await cache.read('gone', load('gone'))).toBeUndefined();
    expect(calls.filter((id) => id === 'gone')).toHaveLength(2);
  });

  it('does not store what a read in flight during a revocation returns', async () => {
    const cache = new SessionCache<string>(60_000);
    let finish!: (row: string) => void;
    const inFlight = cache.read('a', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.forget('a');
    finish('row read before the revocation');
    expect(await inFlight).toBe('row read before the revocation');
    const { calls, load } = loader({ a: 'revoked row' });
    expect(await cache.read('a', load('a'))).toBe('revoked row');
    expect(calls).toEqual(['a']);
  });

  it('holds at most maxEntries, dropping the one stored longest ago', async () => {
    const cache = new SessionCache<string>(60_000, 2);
    const { calls, load } = loader({ a: 'a', b: 'b', c: 'c' });
    await cache.read('a', load('a'));
    await cache.read('b', load('b'));
    await cache.read('c', load('c'));
    expect(cache.size).toBe(2);
    await cache.read('b', load('b'));
    await cache.read('c', load('c'));
    await cache.read('a', load('a'));
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('reads every time with maxAgeMs 0', async () => {
    const cache = new SessionCache<string>(0);
    const { calls, load } = loader({ a: 'a' });
    await cache.read('a', load('a'));
    await cache.read('a', load('a'));
    expect(calls).toEqual(['a', 'a']);
    expect(cache.size).toBe(0);
  });
});

describe('shareSessionRevocations', () => {
  it('makes every cache on the bus forget an announced session, and stops listening on stop', async () => {
    const bus = await createEventBus(undefined);
    const here = new SessionCache<string>(60_000);
    const there = new SessionCache<string>(60_000);
    const log = createLogger('silent');
    const fromHere = await shareSessionRevocations(bus, here, 'session-revoked:test', log);
    const fromThere = await shareSessionRevocations(bus, there, 'session-revoked:test', log);
    const { calls, load } = loader({ a: 'a', b: 'b' });
    for (const cache of [here, there]) for (const id of ['a', 'b']) await cache.read(id, load(id));
    expect(calls).toHaveLength(4);
    await fromHere.announce('a');
    expect([here.size, there.size]).toEqual([1, 1]);
    fromThere.stop();
    await fromHere.announce('b');
    expect([here.size, there.size]).toEqual([0, 1]);
    fromHere.stop();
    await bus.close();
  });

  it('tells its listeners of every revocation, announced here or on another instance, until they are removed', async () => {
    const bus = await createEventBus(undefined);
    const log = createLogger('silent');
    const fromHere = await shareSessionRevocations(bus, new SessionCache<string>(60_000), 'session-revoked:test', log);
    const fromThere = await shareSessionRevocations(bus, new SessionCache<string>(60_000), 'session-revoked:test', log);
    const heard: string[] = [];
    // Registered first, so a throw that escaped would keep the next listener from hearing.
    fromThere.onRevoked(() => {
      throw new Error('a failing listener does not stop the others');
    });
    const off = fromThere.onRevoked((id) => heard.push(id));
    await fromHere.announce('a');
    await fromThere.announce('b');
    await new Promise((resolve) => setImmediate(resolve));
    expect(new Set(heard)).toEqual(new Set(['a', 'b']));
    off();
    await fromHere.announce('c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).not.toContain('c');
    fromHere.stop();
    fromThere.stop();
    await bus.close();
  });

  it('empties the cache when the Redis subscriber is back, since revocations may have been missed meanwhile', async () => {
    const bus = await createEventBus(undefined);
    let reconnected: (() => void) | undefined;
    const cache = new SessionCache<string>(60_000);
    const shared = await shareSessionRevocations({ ...bus, onReconnect: (listener) => ((reconnected = listener), () => {}) }, cache, 'session-revoked:test', createLogger('silent'));
    const { calls, load } = loader({ a: 'a' });
    await cache.read('a', load('a'));
    expect(cache.size).toBe(1);
    reconnected!();
    expect(cache.size).toBe(0);
    await cache.read('a', load('a'));
    expect(calls).toEqual(['a', 'a']);
    shared.stop();
    await bus.close();
  });
});
