import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { Viewer } from './auth/viewer.ts';
import type { PrismaClient } from './db/generated/prisma/client.ts';
import type { EventBus } from './events/pubsub.ts';
import type { Logger } from './http/logger.ts';
import { AppError, ForbiddenError, UnauthenticatedError } from './errors.ts';
import type { TenantContext, TenantRegistry } from './tenants/registry.ts';

/** What lives for the whole process and every request shares. */
export interface AppServices {
  db: PrismaClient;
  tenants: TenantRegistry;
  events: EventBus;
  log: Logger;
}

/** Built once per request (HTTP) or per operation (WebSocket); services take it first. */
export interface Context {
  requestId: string;
  log: Logger;
  db: PrismaClient;
  tenants: TenantRegistry;
  events: EventBus;
  /** The tenant of the request: the session's, or the `X-Tenant` header's before login; undefined if neither. */
  tenant: TenantContext | undefined;
  /** The logged-in user; undefined for anonymous requests. */
  viewer: Viewer | undefined;
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
}

const TENANT_CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function createContext(app: AppServices, source: RequestSource): Context {
  const requestId = source.requestId ?? randomUUID();
  const log = app.log.child({ requestId });
  const tenant = resolveTenant(app.tenants, source.header('x-tenant'));
  const viewer: Viewer | undefined = undefined;
  return {
    requestId,
    log,
    db: app.db,
    tenants: app.tenants,
    events: app.events,
    tenant,
    viewer,
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
