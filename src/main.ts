/**
 * `npm start`: serves the API on PORT (default 4000). Uses DATABASE_URL's PostgreSQL when set, otherwise an
 * embedded PGlite in DATA_DIR (default ./data), created and migrated on first start.
 */
import { dirname } from 'node:path';
import { DatabaseUnreachableError } from './db/database.ts';
import { databaseTargetFromEnv } from './db/target.ts';
import { createLogger } from './http/logger.ts';
import { demoAccountsText } from './domains/identity/demo-seed.ts';
import { startServer } from './server.ts';
import { TenantConfigError } from './tenants/load.ts';

const log = createLogger();
const port = Number(process.env.PORT ?? 4000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}
let database: ReturnType<typeof databaseTargetFromEnv>;
try {
  database = databaseTargetFromEnv(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

try {
  const server = await startServer({
    database,
    redisUrl: process.env.REDIS_URL || undefined,
    port,
    logger: log,
    identity: { trustProxy: process.env.TRUST_PROXY === 'true', demoAccounts: process.env.DEMO_ACCOUNTS !== 'false' },
    sweepIntervalMs: Number(process.env.SWEEP_INTERVAL_MS ?? 30_000),
  });
  log.info(
    { url: server.url, database: database.kind === 'postgres' ? 'postgres' : `pglite:${dirname(database.dataDir)}`, pubsub: process.env.REDIS_URL ? 'redis' : 'memory' },
    `GraphQL API ready at ${server.url} (GraphiQL in the browser)`,
  );
  if (server.demoAccountsCreated) console.log(`\n${demoAccountsText(server.url)}\n`);
  if (!process.env.SESSION_SECRET || !process.env.SECRET_KEY) {
    log.warn('SESSION_SECRET and/or SECRET_KEY unset: using values generated once and stored in the database (set both in production)');
  }
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
} catch (error) {
  if (error instanceof TenantConfigError || error instanceof DatabaseUnreachableError) {
    console.error(`Cannot start: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Cannot start: port ${port} is already in use; set PORT to a free one`);
  } else {
    console.error('Cannot start:', error);
  }
  process.exit(1);
}
