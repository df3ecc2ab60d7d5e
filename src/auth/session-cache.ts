import type { EventBus } from '../events/pubsub.ts';
import type { Logger } from '../http/logger.ts';

/**
 * Session rows as the session check read them, kept for a moment (issue 9): every authenticated request checks its
 * session, and a front end sends its requests in bursts on one session, so re-reading the row each time was one SQL
 * statement in three of an order-list page and one in five of a mutation.
 *
 * Revocation stays immediate: whoever revokes a session calls {@link SessionCache.forget} on its own instance and
 * publishes the session id ({@link shareSessionRevocations}), and every instance forgets it when the message arrives.
 * Where a message can be lost (the Redis subscriber connection dropped) the whole cache is emptied when the
 * connection comes back, and no entry is ever used past `maxAgeMs`: that is the bound on a lost message.
 *
 * A read that was in flight when a session was forgotten does not store its (possibly older) row: every `forget` and
 * `clear` moves an epoch, and a read stores its row only if the epoch it started in is still current.
 */
export class SessionCache<Row> {
  readonly #entries = new Map<string, { row: Row; readAt: number }>();
  #epoch = 0;

  /** `maxAgeMs` 0 turns the cache off: every read loads. */
  constructor(
    readonly maxAgeMs: number,
    readonly maxEntries = 10_000,
  ) {}

  /** The row of session `id`, from the cache if it was read less than `maxAgeMs` ago, else from `load`. */
  async read(id: string, load: () => Promise<Row | undefined>): Promise<Row | undefined> {
    if (this.maxAgeMs <= 0) return load();
    const now = Date.now();
    const entry = this.#entries.get(id);
    if (entry && now - entry.readAt < this.maxAgeMs) return entry.row;
    const epoch = this.#epoch;
    const row = await load();
    // An id that matches no row is not kept: a token this server signed names a row, so misses are rare.
    if (row !== undefined && epoch === this.#epoch) {
      this.#entries.delete(id);
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(id, { row, readAt: now });
    }
    return row;
  }

  /** Drops session `id`; a read of it in flight will not store its row. */
  forget(id: string): void {
    this.#entries.delete(id);
    this.#epoch += 1;
  }

  /** Drops every session, and no read in flight stores its row. */
  clear(): void {
    this.#entries.clear();
    this.#epoch += 1;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** What announces a session's revocation to every instance. */
export interface SessionRevocations {
  /** Forgets `sessionId` here and publishes it; resolves once the broker took it (a failure is logged, not thrown). */
  announce(sessionId: string): Promise<void>;
  /**
   * Calls `listener` with every session revoked on any instance (announced here, or published by another), as soon
   * as it is known here; an id may come more than once. Returns what removes the listener.
   */
  onRevoked(listener: (sessionId: string) => void): () => void;
  stop(): void;
}

/**
 * Connects `cache` to the other instances through `events` on `topic` (one per database, as the live events' topic):
 * a revocation published by any instance makes every instance forget the session, and a Redis subscriber that lost
 * its connection empties the cache when it is back. Resolves once the subscription is in place.
 */
export async function shareSessionRevocations(events: EventBus, cache: SessionCache<unknown>, topic: string, log: Logger): Promise<SessionRevocations> {
  const listeners = new Set<(sessionId: string) => void>();
  const revoked = (sessionId: string) => {
    cache.forget(sessionId);
    for (const listener of listeners) {
      try {
        listener(sessionId);
      } catch (error) {
        log.warn({ err: error, sessionId }, 'a session revocation listener failed');
      }
    }
  };
  const unlisten = await events.listen(topic, (payload) => {
    const sessionId = (payload as { sessionId?: unknown } | null)?.sessionId;
    if (typeof sessionId === 'string') revoked(sessionId);
  });
  const offReconnect = events.onReconnect(() => cache.clear());
  return {
    announce: async (sessionId) => {
      revoked(sessionId);
      try {
        await events.publish(topic, { sessionId });
      } catch (error) {
        // The session is revoked in the database and here; other instances stop accepting it within maxAgeMs.
        log.warn({ err: error, sessionId }, 'session revocation not published: other instances refuse it once their cached row ages out');
      }
    },
    onRevoked: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      listeners.clear();
      offReconnect();
      unlisten();
    },
  };
}
