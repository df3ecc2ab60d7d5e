/**
 * Live events: the outbox relay, the per-instance hub that fans published events out to open subscriptions, and
 * the stream one subscription reads (replay from the table, then live, with no gap and no duplicate at the seam).
 * Domain code (src/domains/live) says which event types a subscription wants and who may receive each event.
 */
import type { AppServices, Context } from '../context.ts';
import type { PrismaClient } from '../db/generated/prisma/client.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../http/logger.ts';
import { Repeater } from 'graphql-yoga';
import { LIVE_DEFAULTS, type LiveOptions } from './config.ts';
import { toPublished, type PublishedEvent } from './outbox.ts';
import { startRelay, type Relay } from './relay.ts';

export type { LiveOptions, PublishedEvent };

/** What a subscription stream yields: an event, or a last item carrying the error that ends the stream. */
export type LiveItem = PublishedEvent | { terminal: Error };

export function isTerminal(item: LiveItem): item is { terminal: Error } {
  return 'terminal' in item;
}

/** What one subscription asks for. */
export interface LiveQuery {
  /** DomainEvent types delivered (e.g. ORDER_STATUS_CHANGED). */
  types: readonly string[];
  /** Tenants whose events may be delivered at all: the viewer's, and for a province admin its cities. */
  tenantIds: readonly string[];
  /** Resume after this sequence: replay what followed from the table first. Null: from now on. */
  after: bigint | null;
  /** The item-level check at delivery: may this viewer receive this event (CASL rules on the event's parties)? */
  accept(event: PublishedEvent): boolean;
}

/** The relay and hub of one server instance. */
export interface LiveRuntime {
  relay: Relay;
  hub: LiveHub;
  /** The pub/sub topic: one per database, so servers of different databases sharing a Redis never mix events. */
  topic: string;
  options: LiveOptions;
  stop(): Promise<void>;
}

/**
 * Starts the relay and the hub of this instance and attaches them to `app.events` (so `ctx.events.kick()` wakes
 * the relay and subscriptions find the hub). The hub's Redis subscription is confirmed before this resolves.
 * `channel` names the database (src/events/channel.ts), so instances of other databases on the same Redis stay apart.
 */
export async function startLiveEvents(app: AppServices, channel: string, overrides: Partial<LiveOptions> = {}): Promise<LiveRuntime> {
  const options: LiveOptions = { ...LIVE_DEFAULTS, ...overrides };
  const topic = `domain-events:${channel}`;
  const hub = new LiveHub(app.db, app.log, options);
  const unlisten = await app.events.listen(topic, (payload) => hub.deliver(payload));
  const offReconnect = app.events.onReconnect(() => hub.resyncAll());
  // A logout or role switch on any instance ends that session's subscriptions here at once; the periodic re-check
  // still catches expiry, a revoked API client and a revocation message that was lost.
  const offRevoked = app.identity.sessionRevocations.onRevoked((sessionId) => hub.endSession(sessionId));
  const relay = startRelay({ sql: app.sql, events: app.events, log: app.log, topic, pollMs: options.relayPollMs, batchSize: options.relayBatchSize, gatherMs: options.relayGatherMs });
  let stopping: Promise<void> | undefined;
  const runtime: LiveRuntime = {
    relay,
    hub,
    topic,
    options,
    stop: () =>
      (stopping ??= (async () => {
        offReconnect();
        offRevoked();
        await relay.stop();
        hub.stop();
        unlisten();
      })()),
  };
  app.events.live = runtime;
  return runtime;
}

/** One open subscription as the hub sees it. */
class LiveSubscriber {
  readonly queue: PublishedEvent[] = [];
  /** The highest sequence handed to the client (or skipped by its filter): anything at or below it is a duplicate. */
  lastDelivered = 0n;
  replayNeeded = false;
  terminal: Error | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(
    readonly query: LiveQuery,
    readonly viewerKey: string,
    readonly sessionId: string | null,
    readonly apiClientId: string | null,
    readonly queueLimit: number,
  ) {}

  offer(event: PublishedEvent): void {
    if (this.terminal || !this.query.types.includes(event.type) || !this.query.accept(event)) return;
    if (this.queue.length >= this.queueLimit) {
      this.terminate(
        new AppError(
          'SUBSCRIPTION_OVERFLOW',
          `More than ${this.queueLimit} events waited for this subscription: it was closed. Subscribe again with after set to the last sequence you received.`,
          undefined,
          { lastSequence: this.lastDelivered.toString() },
        ),
      );
      return;
    }
    this.queue.push(event);
    this.wake();
  }

  terminate(error: Error): void {
    if (this.terminal) return;
    this.terminal = error;
    this.queue.length = 0;
    this.wake();
  }

  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  waitForWork(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }
}

/**
 * The fan-out of one instance: one pub/sub listener for the topic, events routed to the open subscriptions of the
 * event's tenant, each of which checks the event against its viewer's rules and queues it (bounded). It also
 * counts subscriptions per viewer and re-checks their sessions.
 */
export class LiveHub {
  readonly #byTenant = new Map<string, Set<LiveSubscriber>>();
  readonly #perViewer = new Map<string, number>();
  readonly #recheck: NodeJS.Timeout;
  #checking = false;

  constructor(
    private readonly db: PrismaClient,
    private readonly log: Logger,
    readonly options: LiveOptions,
  ) {
    this.#recheck = setInterval(() => void this.recheckSessions(), options.sessionRecheckMs);
    this.#recheck.unref();
  }

  /** Open subscriptions on this instance. */
  get size(): number {
    let total = 0;
    for (const count of this.#perViewer.values()) total += count;
    return total;
  }

  deliver(payload: unknown): void {
    const event = payload as PublishedEvent;
    if (!event || typeof event.sequence !== 'string' || typeof event.tenantId !== 'string') return;
    const subscribers = this.#byTenant.get(event.tenantId);
    if (!subscribers) return;
    for (const subscriber of subscribers) {
      try {
        subscriber.offer(event);
      } catch (error) {
        subscriber.terminate(error as Error);
      }
    }
  }

  /** Takes a slot of the viewer's limit, or refuses with SUBSCRIPTION_LIMIT. */
  reserve(viewerKey: string): void {
    const open = this.#perViewer.get(viewerKey) ?? 0;
    if (open >= this.options.maxSubscriptionsPerViewer) {
      throw new AppError(
        'SUBSCRIPTION_LIMIT',
        `At most ${this.options.maxSubscriptionsPerViewer} subscriptions may be open at once per user; close one first`,
      );
    }
    this.#perViewer.set(viewerKey, open + 1);
  }

  release(viewerKey: string): void {
    const open = (this.#perViewer.get(viewerKey) ?? 1) - 1;
    if (open > 0) this.#perViewer.set(viewerKey, open);
    else this.#perViewer.delete(viewerKey);
  }

  register(subscriber: LiveSubscriber): void {
    for (const tenantId of subscriber.query.tenantIds) {
      let set = this.#byTenant.get(tenantId);
      if (!set) this.#byTenant.set(tenantId, (set = new Set()));
      set.add(subscriber);
    }
  }

  unregister(subscriber: LiveSubscriber): void {
    for (const tenantId of subscriber.query.tenantIds) {
      const set = this.#byTenant.get(tenantId);
      set?.delete(subscriber);
      if (set?.size === 0) this.#byTenant.delete(tenantId);
    }
    if (subscriber.expiryTimer) clearTimeout(subscriber.expiryTimer);
  }

  /** Pub/sub may have lost messages (Redis reconnected): every subscription catches up from the table. */
  resyncAll(): void {
    for (const subscriber of this.#subscribers()) {
      subscriber.replayNeeded = true;
      subscriber.wake();
    }
  }

  /** Ends the subscriptions of session `sessionId`, which was revoked. */
  endSession(sessionId: string): void {
    for (const subscriber of this.#subscribers()) {
      if (subscriber.sessionId === sessionId) subscriber.terminate(sessionInvalid());
    }
  }

  /** Ends subscriptions whose session was revoked or expired, or whose API client was revoked. */
  async recheckSessions(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const subscribers = [...this.#subscribers()].filter((s) => !s.terminal);
      const sessionIds = [...new Set(subscribers.flatMap((s) => (s.sessionId ? [s.sessionId] : [])))];
      const clientIds = [...new Set(subscribers.flatMap((s) => (s.apiClientId ? [s.apiClientId] : [])))];
      const [sessions, clients] = await Promise.all([
        sessionIds.length ? this.db.session.findMany({ where: { id: { in: sessionIds } }, select: { id: true, revokedAt: true, expiresAt: true } }) : [],
        clientIds.length ? this.db.institutionApiClient.findMany({ where: { clientId: { in: clientIds } }, select: { clientId: true, revokedAt: true } }) : [],
      ]);
      const sessionById = new Map(sessions.map((s) => [s.id, s]));
      const clientById = new Map(clients.map((c) => [c.clientId, c]));
      const now = Date.now();
      for (const subscriber of subscribers) {
        if (subscriber.sessionId) {
          const session = sessionById.get(subscriber.sessionId);
          if (!session || session.revokedAt) subscriber.terminate(sessionInvalid());
          else if (session.expiresAt.getTime() <= now) subscriber.terminate(sessionExpired());
        } else if (subscriber.apiClientId) {
          const client = clientById.get(subscriber.apiClientId);
          if (!client || client.revokedAt) subscriber.terminate(new AppError('SIGNATURE_INVALID', 'The API client was revoked: this subscription is closed'));
        }
      }
    } catch (error) {
      this.log.warn({ err: error }, 'live: session re-check failed; retrying at the next interval');
    } finally {
      this.#checking = false;
    }
  }

  stop(): void {
    clearInterval(this.#recheck);
    for (const subscriber of this.#subscribers()) subscriber.terminate(new AppError('SERVER_SHUTTING_DOWN', 'The server is shutting down: reconnect with after set to the last sequence you received'));
  }

  *#subscribers(): Iterable<LiveSubscriber> {
    const seen = new Set<LiveSubscriber>();
    for (const set of this.#byTenant.values()) {
      for (const subscriber of set) {
        if (seen.has(subscriber)) continue;
        seen.add(subscriber);
        yield subscriber;
      }
    }
  }
}

const sessionInvalid = () => new AppError('SESSION_INVALID', 'The session was ended (logout, role switch or revocation): log in again and resubscribe');
const sessionExpired = () => new AppError('SESSION_EXPIRED', 'The session has expired: log in again and resubscribe');

/**
 * Opens one subscription's stream. Order of work, which is what makes the seam exact:
 * 1. register with the hub (live events start queueing), 2. read the newest committed sequence, 3. replay rows
 * after `after` from the table, 4. hand out the queue, dropping every sequence at or below the last one delivered.
 * An event committed before step 2 is in the table (sequences become visible in order, see `recordDomainEvent`);
 * one committed after it is published after the registration, so it is queued. Nothing falls between; what both
 * paths carry is dropped by sequence. Without `after` the stream starts at the sequence read in step 2.
 *
 * Refuses (throws, before any event) a viewer over its subscription limit and an `after` beyond the newest event.
 * Ends with a terminal item (an error frame, then the stream closes) on overflow, when the session is revoked or
 * expires, and at shutdown.
 */
export async function openLiveStream(ctx: Context, query: LiveQuery): Promise<AsyncIterable<LiveItem>> {
  const runtime = ctx.events.live;
  const viewer = ctx.viewer;
  if (!runtime) throw new AppError('LIVE_UNAVAILABLE', 'Live events are not running on this server');
  if (!viewer) throw new AppError('UNAUTHENTICATED', 'You must be logged in');
  const { hub, options } = runtime;
  const viewerKey = viewer.userId ?? `api-client:${viewer.apiClientId}`;
  hub.reserve(viewerKey);
  const subscriber = new LiveSubscriber(query, viewerKey, viewer.sessionId, viewer.apiClientId, options.queueLimit);
  hub.register(subscriber);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    hub.unregister(subscriber);
    hub.release(viewerKey);
  };
  try {
    const [{ newest }] = await ctx.db.$queryRaw<[{ newest: bigint | null }]>`SELECT max(sequence) AS newest FROM "DomainEvent"`;
    const head = newest ?? 0n;
    if (query.after !== null && query.after > head) {
      throw new AppError('SEQUENCE_IN_FUTURE', `No event has sequence ${query.after} yet (the newest is ${head}): pass the last sequence you received`, 'after', {
        newestSequence: head.toString(),
      });
    }
    subscriber.lastDelivered = query.after ?? head;
    subscriber.replayNeeded = query.after !== null && query.after < head;
    if (viewer.sessionId) {
      const session = await ctx.db.session.findUnique({ where: { id: viewer.sessionId }, select: { expiresAt: true } });
      if (!session) throw sessionInvalid();
      const left = session.expiresAt.getTime() - Date.now();
      subscriber.expiryTimer = setTimeout(() => subscriber.terminate(sessionExpired()), Math.min(Math.max(left, 0), 2 ** 31 - 1));
      subscriber.expiryTimer.unref();
    }
  } catch (error) {
    close();
    throw error;
  }

  const stream = new Repeater<LiveItem>(async (push, stop) => {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      subscriber.wake();
    });
    try {
      while (!stopped) {
        if (subscriber.terminal) {
          await push({ terminal: subscriber.terminal });
          break;
        }
        if (subscriber.replayNeeded) {
          subscriber.replayNeeded = false;
          await replay(ctx.db, subscriber, options.replayPageSize, push, () => stopped || subscriber.terminal !== undefined);
          continue;
        }
        const event = subscriber.queue.shift();
        if (!event) {
          await subscriber.waitForWork();
          continue;
        }
        const sequence = BigInt(event.sequence);
        if (sequence <= subscriber.lastDelivered) continue;
        subscriber.lastDelivered = sequence;
        await push(event);
      }
    } catch (error) {
      if (!stopped) await push({ terminal: error as Error });
    } finally {
      close();
      stop();
    }
  });
  // A Repeater runs its executor only once iterated: a client that unsubscribes before the first item would skip the
  // executor's `finally`, leaving the subscriber registered. Closing on return/throw as well makes that impossible.
  const iterator: AsyncIterableIterator<LiveItem> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => stream.next(),
    return: (value?: unknown) => {
      close();
      return stream.return(value as LiveItem);
    },
    throw: (error?: unknown) => {
      close();
      return stream.throw(error);
    },
  };
  return iterator;
}

/** Hands out, page by page and at the client's pace, the table's events after the subscriber's last one. */
async function replay(
  db: PrismaClient,
  subscriber: LiveSubscriber,
  pageSize: number,
  push: (item: LiveItem) => Promise<unknown>,
  cancelled: () => boolean,
): Promise<void> {
  const { types, tenantIds, accept } = subscriber.query;
  for (;;) {
    const rows = await db.domainEvent.findMany({
      where: { sequence: { gt: subscriber.lastDelivered }, tenantId: { in: [...tenantIds] }, type: { in: [...types] } },
      orderBy: { sequence: 'asc' },
      take: pageSize,
      select: { sequence: true, tenantId: true, type: true, aggregateType: true, aggregateId: true, payload: true, createdAt: true },
    });
    for (const row of rows) {
      if (cancelled()) return;
      const event = toPublished(row);
      subscriber.lastDelivered = row.sequence;
      if (accept(event)) await push(event);
    }
    if (rows.length < pageSize) return;
  }
}
