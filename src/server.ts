import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { SIGNATURE_HEADERS, verifySignedRequest } from './auth/authenticate.ts';
import { SIGNED_REQUEST_MAX_BODY_BYTES, type IdentityOptions } from './auth/config.ts';
import { createIdentityServices } from './auth/identity-services.ts';
import type { Viewer } from './auth/viewer.ts';
import { useCompiledQueries } from './compiled-queries.ts';
import { createContext, type AppServices, type Context, type RequestSource } from './context.ts';
import { openDatabase, type Database, type DatabaseTarget } from './db/database.ts';
import { AppError } from './errors.ts';
import { createEventBus } from './events/pubsub.ts';
import { useRelayKick } from './events/kick-plugin.ts';
import { databaseChannel } from './events/channel.ts';
import { startLiveEvents, type LiveOptions } from './events/live.ts';
import { createFastGraphQL } from './http/fast-graphql.ts';
import { isJsonPost, readBody, readJsonBody } from './http/json-body.ts';
import { sendJson } from './http/send.ts';
import { createLogger, type Logger } from './http/logger.ts';
import { seedDemoAccounts } from './domains/identity/demo-seed.ts';
import { getSchema } from './schema.ts';
import { startSweeps } from './jobs/sweeps.ts';
import { sealingMasterKey } from './domains/guarantee/keys.ts';
import { isLetterDownload, serveLetter } from './domains/guarantee/letter-download.ts';
import { isInvoiceDownload, serveInvoice } from './domains/invoice/invoice-download.ts';
import { isProofDownload, serveProof } from './domains/claim/proof-download.ts';
import { loadTenants } from './tenants/load.ts';
import { syncTenants } from './tenants/sync.ts';

export const TENANTS_DIR = fileURLToPath(new URL('../tenants/', import.meta.url));

export interface ServerOptions {
  database: DatabaseTarget;
  /** Directory of tenant files; `tenants/` of the project by default. */
  tenantsDir?: string;
  /** Redis for pub/sub across instances; in-memory pub/sub when absent. */
  redisUrl?: string;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  logger?: Logger;
  /** How long shutdown waits for in-flight requests before closing their connections. */
  shutdownGraceMs?: number;
  /** WebSocket keep-alive: the server pings every connection this often and drops one that stops answering. */
  keepAliveMs?: number;
  /** Answer JSON POSTs without Yoga's fetch layer where the answer is identical (default true; false to compare). */
  fastJsonPath?: boolean;
  /** Lists with a hand-written SQL read model use it where it covers the query (default true; false to compare). */
  sqlReadModels?: boolean;
  /** Called with every SQL statement the application sends (tests count them per operation). */
  onQuery?: (sql: string) => void;
  /** How often timed work runs (expiring unpaid orders, unsealing opened letters); 0 turns it off. */
  sweepIntervalMs?: number;
  /** Login limits, SMS sender, proxy trust, demo accounts (see src/auth/config.ts). */
  identity?: IdentityOptions;
  /** Outbox relay and live subscriptions: poll interval, per-viewer limit, queue bound, session re-check (src/events/config.ts). */
  live?: Partial<LiveOptions>;
}

export interface RunningServer {
  /** The GraphQL endpoint over HTTP, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** The same endpoint for WebSocket clients. */
  wsUrl: string;
  port: number;
  app: AppServices;
  database: Database;
  /** True when this start created the demo accounts (a first start): `npm start` then prints them. */
  demoAccountsCreated: boolean;
  /** Graceful: stops accepting, lets in-flight requests finish, closes subscriptions, the bus and the database. */
  close(): Promise<void>;
}

/**
 * Loads and validates the tenant files, opens and migrates the database, syncs the tenants and serves GraphQL over
 * HTTP (with GraphiQL), WebSocket (graphql-ws) and SSE on one port, with /healthz and /readyz beside it.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.logger ?? createLogger();
  const loaded = await loadTenants(options.tenantsDir ?? TENANTS_DIR);
  const database = await openDatabase(options.database, { onQuery: options.onQuery });
  const closeOnFailure: Array<() => Promise<void>> = [() => database.close()];
  try {
    const applied = await database.migrate();
    if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations');
    const tenants = await syncTenants(database.prisma, loaded);
    const events = await createEventBus(options.redisUrl);
    closeOnFailure.push(() => events.close());
    const channel = await databaseChannel(database.prisma);
    const identity = await createIdentityServices(database.prisma, log, events, channel, options.identity);
    const demoAccountsCreated = options.identity?.demoAccounts === false ? false : await seedDemoAccounts(database.prisma, tenants);
    const app: AppServices = {
      db: database.prisma,
      sql: database.sql,
      sqlReadModels: options.sqlReadModels ?? true,
      tenants,
      events,
      log,
      identity,
      sealingMasterKey: await sealingMasterKey(database.prisma),
    };
    // Live events: the outbox relay and this instance's subscription hub (stopped by events.close()).
    await startLiveEvents(app, channel, options.live);
    return await serve(app, database, options, demoAccountsCreated);
  } catch (error) {
    for (const close of closeOnFailure.reverse()) await close().catch(() => {});
    throw error;
  }
}

async function serve(app: AppServices, database: Database, options: ServerOptions, demoAccountsCreated: boolean): Promise<RunningServer> {
  const { log } = app;
  const yoga = createYoga<ServerContext, Context>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    context: (initial) => createContext(app, requestSource(initial)),
    maskedErrors: { maskError: (error, message) => maskError(error, message, log) },
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error(args.map(String).join(' ')),
    },
    graphiql: {
      title: 'E-guarantee API',
      subscriptionsProtocol: 'WS',
      defaultQuery: '{\n  tenants {\n    code\n    name\n    children { code name }\n  }\n}\n',
    },
    landingPage: false,
    healthCheckEndpoint: false as never,
    plugins: [useStableErrorCodes(), useRelayKick(app.events), useCompiledQueries()],
  });

  // JSON POSTs skip Yoga's fetch layer where the answer is the same (src/http/fast-graphql.ts); off for comparison.
  const fast = options.fastJsonPath === false ? undefined : createFastGraphQL(yoga);
  let accepting = true;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const server = createServer((req, res) => {
    const requestId = headerOf(req, 'x-request-id')?.slice(0, 128) || randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
      log.info(
        { requestId, method: req.method, url: req.url, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    if (!accepting) res.setHeader('connection', 'close');
    const path = req.url?.split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      if (!accepting) return sendJson(res, 503, { status: 'shutting down' });
      return void database.ping().then(
        () => sendJson(res, 200, { status: 'ready', database: database.kind }),
        () => sendJson(res, 503, { status: 'database unreachable', database: database.kind }),
      );
    }
    const clientAddress = clientAddressOf(req, app.identity.trustProxy);
    const download = req.method === 'GET' ? DOWNLOADS.find(([matches]) => matches(path)) : undefined;
    if (download) {
      return void download[1](app, req, res, { requestId, clientAddress }).catch((error: unknown) => {
        log.error({ err: error, requestId }, 'download failed');
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else res.end();
      });
    }
    if (SIGNATURE_HEADERS.some((name) => req.headers[name] !== undefined)) {
      return void handleSignedRequest(req, res, { requestId, clientAddress });
    }
    if (isJsonPost(req)) {
      return void readJsonBody(req).then(
        (read) => {
          if (read.kind === 'too-large') {
            return sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }] });
          }
          (req as IncomingMessage & { body?: unknown }).body = read.body;
          if (read.kind !== 'parsed' || !fast) return void yoga.handle(req, res, { requestId, clientAddress });
          fast(req, res, read.body, { requestId, clientAddress }).then(
            (answered) => void (answered || yoga.handle(req, res, { requestId, clientAddress })),
            (error: unknown) => {
              log.error({ err: error, requestId }, 'request failed');
              if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
              else res.end();
            },
          );
        },
        () => res.destroy(),
      );
    }
    void yoga.handle(req, res, { requestId, clientAddress });
  });

  /**
   * An institution API client's request: the signature covers the raw body, so buffer it, verify it, then hand the
   * same bytes to Yoga with the verified viewer in the server context (never derived from client input).
   */
  async function handleSignedRequest(req: IncomingMessage, res: ServerResponse, context: { requestId: string; clientAddress?: string }) {
    try {
      const body = await readBody(req, SIGNED_REQUEST_MAX_BODY_BYTES);
      if (body === undefined) return sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      const path = req.url ?? '/';
      let signedViewer: Viewer;
      try {
        signedViewer = await verifySignedRequest(app, {
          method: req.method ?? 'GET',
          path,
          header: (name) => headerOf(req, name),
          body,
          clientAddress: context.clientAddress,
        });
      } catch (error) {
        if (error instanceof AppError) return sendJson(res, 401, { errors: [{ message: error.message, extensions: { code: error.code } }] });
        throw error;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const response = await yoga.fetch(
        new URL(path, `http://${req.headers.host ?? 'localhost'}`),
        { method: req.method, headers, ...(hasBody ? { body: new Uint8Array(body) } : {}) },
        { ...context, signedViewer },
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      const reader = response.body?.getReader();
      // A signed subscription (SSE) ends when its client goes away: cancel the stream so the subscription closes.
      res.once('close', () => void reader?.cancel().catch(() => {}));
      for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) res.write(chunk.value);
      res.end();
    } catch (error) {
      log.error({ err: error, requestId: context.requestId }, 'signed request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    }
  }

  const wss = new WebSocketServer({ server, path: '/graphql' });
  const ws = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const requestId = randomUUID();
        try {
          const clientAddress = clientAddressOf(ctx.extra.request, app.identity.trustProxy);
          const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams ?? {}, requestId, clientAddress, params });
          const document = enveloped.parse(params.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return errors;
          const args: ExecutionArgs = {
            schema: enveloped.schema,
            operationName: params.operationName ?? null,
            document,
            variableValues: params.variables ?? null,
            contextValue: await enveloped.contextFactory(),
            rootValue: enveloped,
          };
          return args;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          return [maskError(error, 'Unexpected error.', log) as GraphQLError];
        }
      },
    },
    wss,
    options.keepAliveMs ?? 10_000,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';

  let closing: Promise<void> | undefined;
  const sweeper = startSweeps(app, options.sweepIntervalMs ?? 30_000);

  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      await sweeper.stop();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await ws.dispose();
      wss.close();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise((resolve) => setTimeout(resolve, options.shutdownGraceMs ?? 10_000).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      app.identity.sessionRevocations.stop();
      await app.events.close();
      await database.close();
      log.info('server stopped');
    })());

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    app,
    database,
    demoAccountsCreated,
    close,
  };
}

type Enveloped = {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
};

/** File downloads served beside GraphQL, each with the API's own authorization. */
const DOWNLOADS = [
  [isLetterDownload, serveLetter],
  [isInvoiceDownload, serveInvoice],
  [isProofDownload, serveProof],
] as const;

/** What the server hands Yoga with each request; set by the server only. */
interface ServerContext {
  requestId?: string;
  clientAddress?: string;
  /** The API client whose signed request was verified before Yoga saw it. */
  signedViewer?: Viewer;
  connectionParams?: Record<string, unknown>;
}

function requestSource(initial: ServerContext & { request?: Request }): RequestSource {
  if (initial.connectionParams) {
    const params = initial.connectionParams;
    return {
      requestId: initial.requestId,
      clientAddress: initial.clientAddress,
      header: (name) => {
        const key = Object.keys(params).find((k) => k.toLowerCase() === name);
        const value = key === undefined ? undefined : params[key];
        return typeof value === 'string' ? value : undefined;
      },
    };
  }
  return {
    requestId: initial.requestId,
    clientAddress: initial.clientAddress,
    signedViewer: initial.signedViewer,
    header: (name) => initial.request?.headers.get(name) ?? undefined,
  };
}

/** The socket's address, or behind a trusted proxy the last X-Forwarded-For entry (the one the proxy appended). */
function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = headerOf(req, 'x-forwarded-for')?.split(',').map((part) => part.trim()).filter(Boolean).at(-1);
    if (forwarded) return forwarded.slice(0, 64);
  }
  return req.socket.remoteAddress;
}

/**
 * Expected errors keep their message and gain `extensions.code` (and `field`); GraphQL's own errors (syntax,
 * validation) pass through; anything else is logged and reaches the client only as "Unexpected error.".
 */
function maskError(error: unknown, message: string, log: Logger): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const at = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      ...at,
      extensions: { ...original.details, code: original.code, ...(original.field ? { field: original.field } : {}) },
    });
  }
  if (original instanceof GraphQLError) return original;
  log.error({ err: original }, 'unexpected error');
  return new GraphQLError(message, { ...at, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/** Gives syntax and validation errors a stable `extensions.code`, as every other error has. */
function useStableErrorCodes(): Plugin {
  const withCode = (error: GraphQLError, code: string) =>
    error.extensions.code
      ? error
      : new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
  return {
    onParse: () => ({ result, replaceParseResult }) => {
      if (result instanceof GraphQLError) replaceParseResult(withCode(result, 'GRAPHQL_PARSE_FAILED'));
    },
    onValidate: () => ({ result, setResult }) => {
      if (result.length > 0) setResult(result.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')));
    },
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

