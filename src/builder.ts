import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type PrismaTypes from './db/generated/pothos-types.ts';
import { getDatamodel } from './db/generated/pothos-types.ts';
import type { Action, SubjectName } from './auth/ability.ts';
import type { Context } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Anyone, logged in or not. Operations say so explicitly; everything else is closed by default. */
    public: boolean;
    /** The request names a tenant (session or X-Tenant header). */
    tenant: boolean;
    /** The request carries a valid session. */
    loggedIn: boolean;
    /**
     * The viewer's CASL ability allows `action` on some `subject` (the operation layer). Rows are then filtered with
     * `accessibleBy` in the query, and single items checked on the loaded row.
     */
    can: { action: Action; subject: SubjectName };
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    Decimal: { Input: string; Output: string };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      public: true,
      tenant: ctx.tenant !== undefined,
      loggedIn: ctx.viewer !== undefined,
      can: ({ action, subject }) => ctx.ability.can(action, subject),
    }),
    unauthorizedError: (_parent, ctx, _info, result) => ctx.unauthorized(result.message),
  },
  errors: { defaultTypes: [] },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'test' ? 'error' : null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { description: 'Any object by its global id, within the tenant of the request.' },
    nodesQueryOptions: false,
  },
});
