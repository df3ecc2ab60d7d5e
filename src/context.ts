import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { abilityFor, type AppAbility } from './auth/ability.ts';
import { authenticateToken } from './auth/authenticate.ts';
import type { IdentityServices } from './auth/identity-services.ts';
import type { Viewer } from './auth/viewer.ts';
import type { PrismaClient } from './db/generated/prisma/client.ts';
import type { Sql } from './db/sql.ts';
import type { EventBus } from './events/pubsub.ts';
import type { Logger } from './http/logger.ts';
import { AppError, ForbiddenError, UnauthenticatedError } from './errors.ts';
import type { TenantContext, TenantRegistry } from './tenants/registry.ts';

/** What lives for the whole process and every request shares. */
export interface AppServices {
  db: PrismaClient;
  /** Hand-written SQL for hot reads (src/db/sql.ts). */
  sql: Sql;
  /**
   * Whether lists with a hand-written read model (the order list) use it where it covers the query (default true);
   * false sends them through Prisma, as tests do to compare the two.
   */
  sqlReadModels: boolean;
  tenants: TenantRegistry;
  events: EventBus;
  log: Logger;
  identity: IdentityServices;
  /** Encrypts the tenants' sealing keys and the institutions' signing keys (SEALING_MASTER_KEY; see keys.ts). */
  sealingMasterKey: string;
}

/** Built once per request (HTTP) or per operation (WebSocket); services take it first. */
export interface Context {
  requestId: string;
  log: Logger;
  db: PrismaClient;
  sql: Sql;
  /** See {@link AppServices.sqlReadModels}. */
  sqlReadModels: boolean;
  tenants: TenantRegistry;
  events: EventBus;
  /** The tenant of the request: the session's, or the `X-Tenant` header's before login; undefined if neither. */
  tenant: TenantContext | undefined;
  /** The logged-in user or signed-in API client; undefined for anonymous requests. */
  viewer: Viewer | undefined;
  /** What the viewer may do, from viewer, active role and tenant (empty if anonymous); see abilityFor. */
  ability: AppAbility;
  /** The caller's address (socket, or X-Forwarded-For behind a trusted proxy); for rate limits and audit. */
  clientAddress: string | undefined;
  identity: IdentityServices;
  sealingMasterKey: string;
  /** Per-request DataLoaders: never shared between requests, so one viewer's cache never serves another. */
  loaders: Loaders;
  /** The tenant, or a TENANT_REQUIRED error for operations that cannot run without one. */
  requireTenant(): TenantContext;
  /** The error scope-auth raises: UNAUTHENTICATED for anonymous callers, FORBIDDEN otherwise. */
  unauthorized(message: string): AppError;
}

export interface Loaders {
  tenantById: DataLoader<string, TenantContext | undefined>;
}

/** Where a request's settings come from: HTTP headers, or a WebSocket's connection parameters. */
export interface RequestSource {
  requestId?: string;
  /** Reads a header (HTTP) or connection parameter (WebSocket) by case-insensitive name. */
  header(name: string): string | undefined;
  clientAddress?: string;
  /** Set by the server only, after it verified an API client's signed request; never from client input. */
  signedViewer?: Viewer;
}

const TENANT_CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * The context of one request. The viewer comes from a verified signed request or a bearer token (`authorization:
 * Bearer …`); an invalid token fails the whole request (SESSION_INVALID / SESSION_EXPIRED) rather than quietly
 * running it anonymously. Once authenticated, the session's tenant is the request's tenant: an X-Tenant header may
 * repeat it but never name another (TENANT_MISMATCH), so a token of one tenant never reaches another's rows.
 */
export async function createContext(app: AppServices, source: RequestSource): Promise<Context> {
  const requestId = source.requestId ?? randomUUID();
  const log = app.log.child({ requestId });
  const headerTenant = resolveTenant(app.tenants, source.header('x-tenant'));
  const viewer = source.signedViewer ?? (await bearerViewer(app, source.header('authorization')));
  let tenant = headerTenant;
  if (viewer) {
    if (headerTenant && headerTenant.code !== viewer.tenantCode) {
      throw new GraphQLError('The X-Tenant header names another tenant than your session: the session decides', {
        extensions: { code: 'TENANT_MISMATCH', field: 'X-Tenant', http: { status: 403 } },
      });
    }
    tenant = app.tenants.byCode(viewer.tenantCode);
  }
  return {
    requestId,
    log,
    db: app.db,
    sql: app.sql,
    sqlReadModels: app.sqlReadModels,
    tenants: app.tenants,
    events: app.events,
    tenant,
    viewer,
    ability: abilityFor(viewer, app.tenants),
    clientAddress: source.clientAddress,
    identity: app.identity,
    sealingMasterKey: app.sealingMasterKey,
    loaders: {
      tenantById: new DataLoader(async (ids) => ids.map((id) => app.tenants.byId(id))),
    },
    requireTenant() {
      if (!tenant) {
        throw new AppError('TENANT_REQUIRED', 'This operation needs a tenant: log in, or send the X-Tenant header');
      }
      return tenant;
    },
    unauthorized: (message) => (viewer ? new ForbiddenError(message) : new UnauthenticatedError()),
  };
}

async function bearerViewer(app: AppServices, authorization: string | undefined): Promise<Viewer | undefined> {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) {
    throw new GraphQLError('The authorization header must be "Bearer <token>"', {
      extensions: { code: 'SESSION_INVALID', http: { status: 401 } },
    });
  }
  try {
    return await authenticateToken(app, match[1]!);
  } catch (error) {
    if (error instanceof AppError) throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
    throw error;
  }
}

function resolveTenant(tenants: TenantRegistry, header: string | undefined): TenantContext | undefined {
  if (header === undefined) return undefined;
  const code = header.trim();
  if (!TENANT_CODE.test(code)) {
    throw new GraphQLError('The X-Tenant header must be a tenant code such as "xinjiang" or "hunan-changsha"', {
      extensions: { code: 'TENANT_HEADER_MALFORMED', field: 'X-Tenant', http: { status: 400 } },
    });
  }
  const tenant = tenants.byCode(code);
  if (!tenant) {
    throw new GraphQLError(`No tenant has the code "${code}"`, {
      extensions: { code: 'TENANT_NOT_FOUND', field: 'X-Tenant', http: { status: 400 } },
    });
  }
  return tenant;
}
