import SchemaBuilder, { BasePlugin, completeValue, PothosSchemaError, RootFieldBuilder, type SchemaTypes } from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin, { PothosPrismaPlugin } from '@pothos/plugin-prisma';
import RelayPlugin, { encodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { defaultFieldResolver, type GraphQLResolveInfo } from 'graphql';
import type PrismaTypes from './db/generated/pothos-types.ts';
import { getDatamodel } from './db/generated/pothos-types.ts';
import type { Action, SubjectName } from './auth/ability.ts';
import type { Context } from './context.ts';
import { fallBack, inCompiledRun } from './compiled-queries.ts';
import { readModelLoads } from './db/read-model-row.ts';
import './prisma-plans.ts';

/**
 * Fields marked `extensions: { plainProperty: true }` answer their parent's property of the field's own name, never
 * a promise (a build-time probe refuses a marked resolver that answers anything else): this plugin, last in the list so that its wrapper is the innermost, puts Pothos's default resolver in
 * place of theirs, so a field no other plugin wraps has no resolver in the schema. graphql-jit (src/compiled-queries.ts)
 * reads such a field inline instead of calling a resolver for every row with its own arguments, path and info objects
 * (issue 9: a page of 50 orders made some 1 000 resolver calls).
 */
class PlainPropertyPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Parameters<BasePlugin<Types>['wrapResolve']>[0], fieldConfig: Parameters<BasePlugin<Types>['wrapResolve']>[1]) {
    if (fieldConfig.extensions?.plainProperty !== true) return resolver;
    // The mark is checked once, as the schema is built: the resolver it replaces must answer the property itself.
    const probe = {};
    let answered: unknown;
    try {
      answered = resolver({ [fieldConfig.name]: probe }, {}, undefined as never, undefined as never);
    } catch {
      answered = undefined;
    }
    if (answered !== probe) throw new PothosSchemaError(`${fieldConfig.parentType}.${fieldConfig.name} is marked plainProperty but its resolver does not answer its parent's "${fieldConfig.name}"`);
    return defaultFieldResolver;
  }
}
declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      plainProperty: PlainPropertyPlugin<Types>;
    }
  }
}
SchemaBuilder.registerPlugin('plainProperty', PlainPropertyPlugin);

/** `extensions` of a field whose resolver only reads its parent's property of the same name (PlainPropertyPlugin). */
export const PLAIN_PROPERTY = { plainProperty: true } as const;

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
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin, 'plainProperty'],
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
    // A connection's `edges` and `pageInfo` and an edge's `node` are its own properties (PlainPropertyPlugin).
    edgesFieldOptions: { extensions: PLAIN_PROPERTY },
    pageInfoFieldOptions: { extensions: PLAIN_PROPERTY },
    nodeFieldOptions: { extensions: PLAIN_PROPERTY },
  },
});

/**
 * `t.globalID`, which every node's `id` field is built with, synchronous where its id is. The relay plugin's own resolves
 * through an `async` function, so each node's `id` was a promise and every object of a list completed asynchronously:
 * a promise per row, then a second pass over the row's fields to collect them (issue 9). The same encoding as the
 * plugin's (`relay.encodeGlobalID` when configured, else base64 of `Type:id`); an id that is a promise still is one.
 */
interface GlobalIdResult {
  type: Parameters<typeof builder.configStore.getTypeConfig>[0];
  id: unknown;
}
type FieldBuilderThis = { builder: typeof builder; field: (options: Record<string, unknown>) => unknown };
type GlobalIdResolve = (parent: unknown, args: unknown, context: Context, info: unknown) => unknown;
(RootFieldBuilder.prototype as unknown as { globalID: unknown }).globalID = function globalID(
  this: FieldBuilderThis,
  { resolve, ...options }: { resolve: GlobalIdResolve },
) {
  const { builder: schemaBuilder } = this;
  const encode = (result: unknown, context: Context) => {
    if (!result || typeof result !== 'object') return result;
    const { type, id } = result as GlobalIdResult;
    const typename = schemaBuilder.configStore.getTypeConfig(type).name;
    const custom = schemaBuilder.options.relay?.encodeGlobalID;
    return custom ? custom(typename, String(id), context) : encodeGlobalID(typename, String(id));
  };
  return this.field({
    ...options,
    type: 'ID',
    resolve: (parent: unknown, args: unknown, context: Context, info: unknown) => completeValue(resolve(parent, args, context, info), (result) => encode(result, context)),
  });
};

/**
 * The prisma plugin's resolvers answer an object a read model built from the object itself (src/db/read-model-row.ts
 * says when that is exact): the plugin's per-row lookup of where the row's planned data is, and the scope it records
 * for the fields below, are skipped for those fields and those rows only. Every other wrapper (authorization scopes,
 * errors) still runs, and every other row and field goes the plugin's way; in a compiled run (src/compiled-queries.ts)
 * such a field below the root sends the operation back to the usual executor, as the plugin's lookup needs it.
 */
type Resolver = (parent: unknown, args: unknown, context: unknown, info: unknown) => unknown;
interface PrismaFieldConfig {
  kind: string;
  parentType: string;
  extensions?: Record<string, unknown> | null;
}
interface PrismaPluginThis {
  buildCache: { getTypeConfig: (name: string) => { extensions?: Record<string, unknown> } };
}
const prismaPlugin = PothosPrismaPlugin.prototype as unknown as { wrapResolve: (this: PrismaPluginThis, resolver: Resolver, fieldConfig: PrismaFieldConfig) => Resolver };
const wrapPrismaResolve = prismaPlugin.wrapResolve;
const selectsOnlyColumns = (select: unknown) =>
  typeof select === 'object' && select !== null && Object.values(select).every((value) => value === true);
/**
 * Whether the field is a `t.expose…` of a column its type selects with every row (the type-level `select`): every
 * row of that type then carries the column, so the plugin's per-row lookup of what the field selected is not needed,
 * and the field keeps Pothos's default resolver, which graphql-js and graphql-jit (src/compiled-queries.ts) read as a
 * plain property instead of a resolver call per row (issue 9).
 */
function exposesTypeColumn(this: PrismaPluginThis, fieldConfig: PrismaFieldConfig): boolean {
  const column = fieldConfig.extensions?.pothosExposedField;
  if (fieldConfig.kind !== 'PrismaObject' || typeof column !== 'string') return false;
  const typeSelect = this.buildCache.getTypeConfig(fieldConfig.parentType).extensions?.pothosPrismaSelect as Record<string, unknown> | undefined;
  return typeSelect?.[column] === true;
}
prismaPlugin.wrapResolve = function wrapResolve(this: PrismaPluginThis, resolver: Resolver, fieldConfig: PrismaFieldConfig) {
  if (exposesTypeColumn.call(this, fieldConfig)) return resolver;
  const wrapped = wrapPrismaResolve.call(this, resolver, fieldConfig);
  if (wrapped === resolver) return wrapped;
  const columns = selectsOnlyColumns(fieldConfig.extensions?.pothosPrismaSelect);
  const load = fieldConfig.extensions?.readModelLoad as string | readonly string[] | undefined;
  const needs = typeof load === 'string' ? [load] : load;
  return (parent, args, context, info) => {
    const loads = columns || needs ? readModelLoads(parent) : undefined;
    if (loads && (columns || needs!.every((name) => loads[name] === true))) return resolver(parent, args, context, info);
    // Below the root the plugin's lookup needs graphql-js's shared path objects: a compiled run starts again the usual
    // way (src/compiled-queries.ts).
    if ((info as GraphQLResolveInfo).path.prev !== undefined && inCompiledRun(context)) throw fallBack(context);
    return wrapped(parent, args, context, info);
  };
};

