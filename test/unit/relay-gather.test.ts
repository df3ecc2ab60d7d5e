import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sql } from '../../src/db/sql.ts';
import type { Logger } from '../../src/http/logger.ts';
import { startRelay } from '../../src/events/relay.ts';

// The relay's gathering (src/events/relay.ts, LiveOptions.relayGatherMs; issue 9): woken while idle it drains at
// once; kicked during a drain, it waits `gatherMs` and takes everything committed meanwhile in one more drain; after a
// full batch it drains again at once.
afterEach(() => vi.useRealTimers());

/** A database whose drains each take `drainMs` and claim what `pending()` says, at most `batchSize`. */
function fakeDatabase(drainMs: number, pending: () => number, batchSize: number) {
  const starts: number[] = [];
  const sql = {
    transaction: async <R, T>(_statements: string, work: (rows: R[]) => Promise<T>) => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, drainMs));
      const rows = Array.from({ length: Math.min(pending(), batchSize) }, (_, i) => ({ sequence: String(i + 1), tenantId: 't', type: 'x', aggregateType: 'y', aggregateId: 'z', payload: {}, createdAt: new Date(0) }));
      return work(rows as R[]);
    },
  } as unknown as Sql;
  return { sql, starts };
}

const log = { error: (fields: unknown) => { throw new Error(`the relay logged an error: ${String(fields)}`); } } as unknown as Logger;
const events = { publish: async () => {} };

/** A relay on a fake database, under fake timers from time 0. */
function relayOn(gatherMs: number, { drainMs = 10, pending = () => 1, batchSize = 500 }: { drainMs?: number; pending?: () => number; batchSize?: number } = {}) {
  vi.useFakeTimers({ now: 0 });
  const { sql, starts } = fakeDatabase(drainMs, pending, batchSize);
  return { relay: startRelay({ sql, events, log, topic: 't', pollMs: 0, batchSize, gatherMs }), starts };
}

describe('the relay', () => {
  it('drains at once when idle, and gathers the kicks of a drain into one drain gatherMs after it', async () => {
    const { relay, starts } = relayOn(20);
    expect(starts).toEqual([0]); // the start-up drain, at once
    await vi.advanceTimersByTimeAsync(100);
    relay.kick();
    expect(starts).toEqual([0, 100]); // idle: at once
    await vi.advanceTimersByTimeAsync(2);
    relay.kick();
    relay.kick();
    relay.kick();
    await vi.advanceTimersByTimeAsync(200);
    // The drain ended at 110; the three kicks during it made one drain, 20 ms later.
    expect(starts).toEqual([0, 100, 130]);
    await relay.stop();
  });

  it('still takes the gathered kicks in one more drain when stopped during the wait, then stops', async () => {
    const { relay, starts } = relayOn(20);
    await vi.advanceTimersByTimeAsync(5);
    relay.kick(); // during the start-up drain, which ends at 10
    await vi.advanceTimersByTimeAsync(10); // now 15: waiting until 30
    const stopped = relay.stop();
    relay.kick(); // ignored: stopped
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(starts).toEqual([0, 30]);
  });

  it('follows a full batch at once, whatever gatherMs says', async () => {
    let left = 25;
    const pending = () => {
      const n = Math.min(left, 10);
      left -= n;
      return n;
    };
    const { relay, starts } = relayOn(50, { pending, batchSize: 10 });
    await vi.advanceTimersByTimeAsync(100);
    // 10, 10, then 5: one drain after another, no wait between.
    expect(starts).toEqual([0, 10, 20]);
    await relay.stop();
  });

  it('with gatherMs 0, drains again at once after a kicked drain', async () => {
    const { relay, starts } = relayOn(0);
    await vi.advanceTimersByTimeAsync(2);
    relay.kick();
    await vi.advanceTimersByTimeAsync(100);
    expect(starts).toEqual([0, 10]);
    await relay.stop();
  });
});
