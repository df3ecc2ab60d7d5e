/**
 * Limits and timings of the outbox relay and of live subscriptions. Every value can be overridden per server through
 * `ServerOptions.live` (tests shorten the timers, the benchmark raises the per-viewer limit).
 */
export interface LiveOptions {
  /**
   * How often the relay looks for committed, unpublished events even when nobody woke it (events written outside a
   * GraphQL mutation, e.g. by the expiry sweep, or a relay that crashed after commit). 0 turns the timer off.
   */
  relayPollMs: number;
  /** Events claimed and published per relay transaction. */
  relayBatchSize: number;
  /**
   * When events were committed during a drain, how long the relay waits before the next, so that it takes them in
   * one transaction with those committed meanwhile (0: at once). A relay woken while idle drains at once: only under
   * a steady stream of writes are live events up to this much later, and there it saves a drain's round trips and
   * PostgreSQL's work (issue 9). A full batch (a backlog) is followed at once whatever this says.
   */
  relayGatherMs: number;
  /** Open subscriptions one user (or API client) may hold on one instance; the next one is refused. */
  maxSubscriptionsPerViewer: number;
  /**
   * Events one subscription may have waiting for its client. A client that falls this far behind is sent a
   * SUBSCRIPTION_OVERFLOW error naming the last sequence delivered, and its stream is closed: it resubscribes with
   * `after`, and memory never grows with a slow or dead client.
   */
  queueLimit: number;
  /** How often open subscriptions re-check their session (revoked, logged out, role switched) or API client. */
  sessionRecheckMs: number;
  /** Rows read per replay query when a subscription resumes with `after`. */
  replayPageSize: number;
}

export const LIVE_DEFAULTS: LiveOptions = {
  relayPollMs: 1_000,
  relayBatchSize: 500,
  relayGatherMs: 5,
  maxSubscriptionsPerViewer: 20,
  queueLimit: 1_000,
  sessionRecheckMs: 15_000,
  replayPageSize: 500,
};

/**
 * Advisory lock keys (two-int form, first half 7208 = "events"). COMMIT_ORDER serialises the tail of every
 * event-writing transaction so sequence order is commit order; RELAY makes one relay at a time publish.
 */
export const ADVISORY_LOCKS = {
  COMMIT_ORDER: [7208, 1],
  RELAY: [7208, 2],
} as const;
