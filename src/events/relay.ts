import { utc, type Sql } from '../db/sql.ts';
import type { Logger } from '../http/logger.ts';
import { ADVISORY_LOCKS } from './config.ts';
import { toPublished, type DomainEventRow } from './outbox.ts';
import type { EventBus } from './pubsub.ts';

export interface Relay {
  /**
   * Drain soon: at once when idle; a kick during a drain makes it run once more, `gatherMs` after (so that it takes
   * what commits meanwhile in the same transaction).
   */
  kick(): void;
  /** Drains everything committed and unpublished now; resolves with how many events went out. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  sql: Sql;
  events: Pick<EventBus, 'publish'>;
  log: Logger;
  topic: string;
  pollMs: number;
  batchSize: number;
  /** See LiveOptions.relayGatherMs (default 0: the next drain at once). */
  gatherMs?: number;
}

const [RELAY_A, RELAY_B] = ADVISORY_LOCKS.RELAY;

/**
 * Publishes committed DomainEvent rows, in sequence order, on `topic`.
 *
 * Each drain is one transaction: take the RELAY advisory lock (so one instance at a time publishes, and in order:
 * with claims by SKIP LOCKED two instances would publish interleaved batches out of order), claim the oldest
 * unpublished rows by setting `publishedAt`, publish them one by one awaiting the broker, then commit. A crash or a
 * broker failure before the commit rolls the claim back and the rows go out again on the next drain: delivery is
 * at least once, and subscribers drop a sequence they already delivered. A rolled-back business transaction never
 * committed its row, so it is never seen here. Rows committed while no relay ran (crash, deploy) are found by the
 * next drain: the start-up drain and the `pollMs` timer are the safety net behind `kick()`.
 */
export function startRelay(options: RelayOptions): Relay {
  const { sql, events, log, topic, batchSize, gatherMs = 0 } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`relay batch size ${batchSize}: a positive integer`);
  // One round trip opens the drain's transaction, takes the lock and claims the batch (issue 9: through Prisma's
  // interactive transaction a drain was four round trips). A drain stuck past a minute (a broker that never answers)
  // is ended by the server, which rolls the claim back, as Prisma's transaction timeout did before.
  const claim = `SET LOCAL idle_in_transaction_session_timeout = '60s';
    SELECT pg_advisory_xact_lock(${RELAY_A}, ${RELAY_B});
    UPDATE "DomainEvent" SET "publishedAt" = now() AT TIME ZONE 'UTC'
    WHERE sequence IN (SELECT sequence FROM "DomainEvent" WHERE "publishedAt" IS NULL ORDER BY sequence LIMIT ${batchSize})
    RETURNING sequence::text AS sequence, "tenantId", type, "aggregateType", "aggregateId", payload, ${utc('"createdAt"', 'createdAt')}`;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function drainOnce(): Promise<number> {
    return sql.transaction<Omit<DomainEventRow, 'sequence'> & { sequence: string }, number>(claim, async (claimed) => {
      const rows = claimed.map((row) => ({ ...row, sequence: BigInt(row.sequence) }));
      rows.sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
      for (const row of rows) await events.publish(topic, toPublished(row));
      return rows.length;
    });
  }

  async function loop(): Promise<void> {
    let gathered: boolean;
    do {
      again = false;
      gathered = false;
      try {
        const published = await drainOnce();
        if (published === batchSize) again = true;
        // Kicked during the drain: gather what else commits meanwhile into the next one (a backlog goes at once).
        // That drain runs even if stop() came during the wait, as it would have run before stop() without one.
        else if (again && gatherMs > 0 && !stopped) {
          await new Promise((resolve) => setTimeout(resolve, gatherMs));
          gathered = true;
        }
      } catch (error) {
        again = false;
        if (stopped) return;
        log.error({ err: error }, 'event relay: drain failed; the events stay unpublished and are retried');
        return;
      }
    } while (again && (!stopped || gathered));
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => {
      running = undefined;
      // A kick that landed after the loop's last check must not wait for the next poll.
      if (again && !stopped) kick();
    });
  }

  const timer = options.pollMs > 0 ? setInterval(kick, options.pollMs) : undefined;
  timer?.unref();
  kick();

  return {
    kick,
    drain: async () => {
      while (running) await running;
      let total = 0;
      for (let n = await drainOnce(); ; n = await drainOnce()) {
        total += n;
        if (n < batchSize) return total;
      }
    },
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
