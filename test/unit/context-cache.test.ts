/**
 * Pothos's per-request caches (`createContextCache`: scope-auth's request cache, the prisma plugin's loader mappings,
 * dataloaders), as patched by patches/@pothos+core+4.15.1.patch (issue 9).
 *
 * Upstream keeps the entries in a module-level WeakMap keyed by the context. V8's scavenger treats the value of a
 * WeakMap entry whose key is young as alive, and those values reference the context (scope-auth's cache holds it), so
 * every request that ended between two scavenges was copied whole and then promoted: 4–5 MB per scavenge under the
 * creation load, 10–25 ms pauses. The patch keeps the entries on the context itself, so they go with it.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createContextCache, initContextCache } from '@pothos/core';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const oldSpaceUsed = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;

describe('createContextCache (patched)', () => {
  it('gives one entry per context, a new one after delete, and shares it through contextCacheSymbol', () => {
    let made = 0;
    const cache = createContextCache((context: object, n: number) => ({ context, n, made: (made += 1) }));
    const a = {};
    const b = {};
    expect(cache(a, 1)).toBe(cache(a, 2));
    expect(cache(a, 1).n).toBe(1);
    expect(cache(b, 1)).not.toBe(cache(a, 1));
    cache.delete(a);
    expect(cache(a, 3).n).toBe(3);
    // A context derived by spreading one made with initContextCache shares its entries, as upstream.
    const base = { ...initContextCache(), user: 'x' };
    expect(cache({ ...base, extra: 1 }, 4)).toBe(cache(base, 5));
    // Two caches do not see each other's entries; the entries are not enumerable on the context.
    const other = createContextCache(() => 'other');
    expect(other(a)).toBe('other');
    expect(cache(a, 0).n).toBe(3);
    expect(Object.keys(a)).toEqual([]);
    expect(JSON.stringify(a)).toBe('{}');
    expect(made).toBe(4);
  });

  it('keeps working for a frozen context (in a WeakMap, as upstream)', () => {
    const cache = createContextCache(() => ({}));
    const frozen = Object.freeze({});
    expect(cache(frozen)).toBe(cache(frozen));
    cache.delete(frozen);
    expect(cache(frozen)).toBe(cache(frozen));
    expect(cache(Object.freeze({}))).not.toBe(cache(frozen));
  });

  it('does not keep a finished request alive through scavenges (upstream promoted every one)', () => {
    const cache = createContextCache((context: object) => ({ context }));
    cache({});
    gc();
    gc();
    const before = oldSpaceUsed();
    for (let i = 0; i < 20_000; i += 1) cache({ payload: new Array(128).fill(i) });
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    // About 21 MB of contexts were made; upstream's WeakMap promoted 8–23 MB of them here, the patched cache 0.02.
    expect(oldSpaceUsed() - before).toBeLessThan(2_000_000);
  });
});
