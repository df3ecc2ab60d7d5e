/** One server instance for scripts/bench/events.ts, run as a child process so its memory is measured alone. */
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';

const server = await startServer({
  database: { kind: 'postgres', url: process.env.DATABASE_URL!, poolSize: 10 },
  redisUrl: process.env.REDIS_URL,
  port: 0,
  host: '127.0.0.1',
  logger: createLogger('warn'),
  identity: { trustProxy: true, smsLimits: { mobileIntervalSeconds: 0, perMobile: { max: 100_000, windowSeconds: 3600 }, perAddress: { max: 100_000, windowSeconds: 3600 } } },
  live: { maxSubscriptionsPerViewer: 100_000 },
});

process.on('message', async (message: { kind: string }) => {
  if (message.kind === 'rss') {
    for (let n = 0; n < 3; n += 1) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const memory = process.memoryUsage();
    process.send!({ kind: 'rss', rss: memory.rss, heap: memory.heapUsed + memory.external, subscriptions: server.app.events.live!.hub.size });
  }
  if (message.kind === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send!({ kind: 'ready', url: server.url, wsUrl: server.wsUrl });
