import { createPubSub, type PubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { LiveRuntime } from './live.ts';

/** Topics and their payloads. Domains add theirs here so publishers and subscribers agree on the shape. */
export interface Topics {
  [topic: string]: [unknown];
}

export interface EventBus {
  pubsub: PubSub<Topics>;
  /**
   * Publishes `payload` on `topic` and resolves once the broker took it (Redis answered PUBLISH; in memory: every
   * local listener ran). A rejection means it may not have gone out: the relay then leaves the event unpublished.
   */
  publish(topic: string, payload: unknown): Promise<void>;
  /**
   * Calls `listener` with every message of `topic`, in publish order, and resolves once the subscription is in place
   * (Redis confirmed SUBSCRIBE), so nothing published after it resolves is missed. Returns the unsubscribe function.
   */
  listen(topic: string, listener: (payload: unknown) => void): Promise<() => void>;
  /** Calls `listener` when the Redis subscriber connection came back after a loss: messages may have been missed. */
  onReconnect(listener: () => void): () => void;
  /** Wakes the outbox relay now (a transaction that wrote events has committed); cheap, coalesced, never throws. */
  kick(): void;
  /** The relay and subscription hub of this instance, once started (src/events/live.ts `startLiveEvents`). */
  live?: LiveRuntime;
  close(): Promise<void>;
}

/**
 * In-memory pub/sub for one instance; with `redisUrl`, Redis pub/sub so that every instance's subscribers receive
 * what any instance publishes.
 */
export async function createEventBus(redisUrl: string | undefined): Promise<EventBus> {
  if (!redisUrl) {
    const target = new EventTarget();
    return busOver(createPubSub<Topics>({ eventTarget: target }), {
      publish: async (topic, payload) => void target.dispatchEvent(new CustomEvent(topic, { detail: payload })),
      listen: async (topic, listener) => {
        const handler = (event: Event) => listener((event as CustomEvent).detail);
        target.addEventListener(topic, handler);
        return () => target.removeEventListener(topic, handler);
      },
      onReconnect: () => () => {},
      close: async () => {},
    });
  }
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false } as const;
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  try {
    await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  } catch (error) {
    publishClient.disconnect();
    subscribeClient.disconnect();
    throw new Error(`Cannot reach Redis at ${redisUrl}: ${(error as Error).message}. Check REDIS_URL, or unset it to use in-memory pub/sub.`);
  }
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const reconnectListeners = new Set<() => void>();
  let lost = false;
  subscribeClient.on('close', () => (lost = true));
  subscribeClient.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const listener of reconnectListeners) listener();
  });
  return busOver(createPubSub<Topics>({ eventTarget }), {
    publish: async (topic, payload) => void (await publishClient.publish(topic, JSON.stringify(payload))),
    listen: async (topic, listener) => {
      const handler = (event: Event) => listener((event as CustomEvent).detail);
      eventTarget.addEventListener(topic, handler);
      // The event target subscribes without waiting; Redis answers in order, so once this SUBSCRIBE is confirmed
      // the target's is too.
      await subscribeClient.subscribe(topic);
      return () => eventTarget.removeEventListener(topic, handler);
    },
    onReconnect: (listener) => {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  });
}

function busOver(
  pubsub: PubSub<Topics>,
  transport: Pick<EventBus, 'publish' | 'listen' | 'onReconnect' | 'close'>,
): EventBus {
  const bus: EventBus = {
    pubsub,
    publish: transport.publish,
    listen: transport.listen,
    onReconnect: transport.onReconnect,
    kick: () => bus.live?.relay.kick(),
    close: async () => {
      await bus.live?.stop();
      await transport.close();
    },
  };
  return bus;
}
