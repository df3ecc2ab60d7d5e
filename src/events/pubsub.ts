import { createPubSub, type PubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';

/** Topics and their payloads. Domains add theirs here so publishers and subscribers agree on the shape. */
export interface Topics {
  [topic: string]: [unknown];
}

export interface EventBus {
  pubsub: PubSub<Topics>;
  close(): Promise<void>;
}

/**
 * In-memory pub/sub for one instance; with `redisUrl`, Redis pub/sub so that every instance's subscribers receive
 * what any instance publishes.
 */
export async function createEventBus(redisUrl: string | undefined): Promise<EventBus> {
  if (!redisUrl) return { pubsub: createPubSub<Topics>(), close: async () => {} };
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
  const pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return {
    pubsub,
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
