/**
 * The prisma plugin's plan of a root `t.prismaField`, made once per field of a document (and values of the variables
 * its selection uses) instead of on every request (issue 9).
 *
 * For each root prisma field the plugin walks the field's selection against the schema and folds what every field
 * beneath selects into one query (`queryFromInfo`): for a mutation answering with an order, about a ninth of the
 * server's CPU per mutation, and the same walk on every request of the same operation. The walk depends on the
 * document, the schema, the values of the variables used beneath the field (arguments of nested fields, `@skip`,
 * `@include`) and whatever the select and query callbacks read; the one thing per request the plugin does with the
 * plan is `plan.query()`, which builds the query object and records on the request's context where each field's
 * data will be (the lookup its fields make for rows Prisma loaded). So the settled plan is kept; per request only its
 * mappings are recorded on the request's context (`setLoaderMappings`, as `query()` records them), and the query
 * object, the same for every play of the plan, is made once and shared, deeply frozen so that no caller can change
 * it for the requests after (the plugin's own `Plan` is built for this: its entry point takes the resolver's `info`
 * so "a cached plan" scopes each execution, and a play of a settled plan reuses it).
 *
 * A plan is kept only when the walk read nothing of the context: the callbacks get a proxy of it while it is planned,
 * and one that touches it (`accessibleBy(ctx.ability, …)`, the viewer's enterprise) makes the field planned on every
 * request as before. A callback must otherwise be a function of its arguments (which the variables' values in the
 * key cover): none reads the time or other state. Only root fields, only one field node per response key, at most
 * {@link MAX_VARIANTS} variable values per field node; kept as long as the document is (a WeakMap on its nodes).
 *
 * Everything else is the plugin's `prismaField`: the resolver is called with the query, the usage check of
 * `onUnusedQuery` applies (tests), a plan that is asynchronous (an async select) is awaited and not kept. The plugin's
 * adapter and usage check are imported by file (its package exports neither), the modules it runs itself; its
 * version is pinned in package.json.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isThenable, ObjectRef, PothosError, PothosValidationError, RootFieldBuilder } from '@pothos/core';
import { getRefFromModel } from '@pothos/plugin-prisma';
import { Plan, setLoaderMappings } from '@pothos/selection-mapper';
import { getNamedType, isInterfaceType, isObjectType, Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode, type ValueNode } from 'graphql';
import type { builder } from './builder.ts';
import { countBeside } from './domains/common/connection-total.ts';
import { ValidationError } from './errors.ts';

type Query = Record<string, unknown>;
type Adapter = Parameters<typeof Plan.fromInfo>[0];
// The package's `require` entry (lib/index.js) locates it; the modules are its ES build's, which `import` runs.
const pluginModule = (file: string) => pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('@pothos/plugin-prisma')), '../esm/util', file)).href;
const { prismaAdapter } = (await import(pluginModule('adapter.js'))) as { prismaAdapter: Adapter };
const { wrapWithUsageCheck, isUsed } = (await import(pluginModule('usage.js'))) as {
  wrapWithUsageCheck: (query: Query) => Query;
  isUsed: (query: Query) => boolean;
};
type Cursors = {
  getCursorFormatter: (model: string, builder: unknown, cursor: string) => (value: unknown) => string;
  getCursorParser: (model: string, builder: unknown, cursor: string) => (cursor: string) => unknown;
  resolvePrismaCursorConnection: (options: Record<string, unknown>, cursor: (value: unknown) => string, resolve: (query: Query) => unknown) => unknown;
};
const { getCursorFormatter, getCursorParser, resolvePrismaCursorConnection } = (await import(pluginModule('cursors.js'))) as Cursors;
const { ModelLoader } = (await import(pluginModule('../model-loader.js'))) as {
  ModelLoader: { getCursorSelection: (ref: unknown, model: string, cursor: string, builder: unknown) => Query };
};

/** Variable values of one field node kept at most: a field whose selection's variables vary more is planned each time. */
const MAX_VARIANTS = 16;

interface FieldPlans {
  /** The variables the field's selection uses (not its own arguments), sorted. */
  variables: readonly string[];
  /** Settled plans by the JSON of those variables' values; null: the walk read the context, so never kept. */
  plans: Map<string, SettledPlan | null>;
}
/** A settled plan, with the query it makes once it has made one (frozen: every request of the plan gets it). */
type SettledPlan = Plan<unknown, Query> & { context: unknown; shared?: Query };
type Mappings = Parameters<typeof setLoaderMappings>[2];

/** `value` and everything in it frozen: a query shared between requests that a caller changed would change them all. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
  }
  return value;
}

const byFieldNode = new WeakMap<FieldNode, FieldPlans>();

/**
 * The kept plan a query object was played from: the same plan makes the same query, so what a caller derives from the
 * query alone (the read model's SQL plan) may be kept per plan instead of worked out from the query's JSON.
 */
const playedFrom = new WeakMap<Query, object>();
export function keptPlanOf(query: Query): object | undefined {
  return playedFrom.get(query);
}

/** Plans made and plans reused since start (for tests). */
export const prismaPlans = { planned: 0, reused: 0 };

/** The variables a selection set uses, through its fragments (each once). */
function variablesOf(selectionSet: SelectionSetNode | undefined, info: GraphQLResolveInfo, into = new Set<string>(), fragments = new Set<string>()): Set<string> {
  const value = (node: ValueNode): void => {
    if (node.kind === Kind.VARIABLE) into.add(node.name.value);
    else if (node.kind === Kind.LIST) node.values.forEach(value);
    else if (node.kind === Kind.OBJECT) node.fields.forEach((field) => value(field.value));
  };
  for (const selection of selectionSet?.selections ?? []) {
    for (const directive of selection.directives ?? []) directive.arguments?.forEach((argument) => value(argument.value));
    if (selection.kind === Kind.FIELD) {
      selection.arguments?.forEach((argument) => value(argument.value));
      variablesOf(selection.selectionSet, info, into, fragments);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      variablesOf(selection.selectionSet, info, into, fragments);
    } else if (!fragments.has(selection.name.value)) {
      fragments.add(selection.name.value);
      variablesOf(info.fragments[selection.name.value]?.selectionSet, info, into, fragments);
    }
  }
  return into;
}

/** The key of the variables' values, or undefined where one has no JSON (a BigInt, a cycle): then planned each time. */
function keyOf(variables: readonly string[], values: GraphQLResolveInfo['variableValues']): string | undefined {
  if (variables.length === 0) return '';
  try {
    return JSON.stringify(variables.map((name) => values[name] ?? null));
  } catch {
    return undefined;
  }
}

/** A revocable proxy of the context that notes whether anything touched it. */
function watched(context: object) {
  const watch = { touched: false };
  const touch = () => {
    watch.touched = true;
  };
  const { proxy, revoke } = Proxy.revocable(context, {
    get: (target, key) => (touch(), Reflect.get(target, key)),
    has: (target, key) => (touch(), Reflect.has(target, key)),
    ownKeys: (target) => (touch(), Reflect.ownKeys(target)),
    getOwnPropertyDescriptor: (target, key) => (touch(), Reflect.getOwnPropertyDescriptor(target, key)),
    set: (target, key, value) => (touch(), Reflect.set(target, key, value)),
    defineProperty: (target, key, descriptor) => (touch(), Reflect.defineProperty(target, key, descriptor)),
    deleteProperty: (target, key) => (touch(), Reflect.deleteProperty(target, key)),
    getPrototypeOf: (target) => (touch(), Reflect.getPrototypeOf(target)),
  });
  return { proxy, revoke, watch };
}

/**
 * Where a field's rows are beneath it and what is selected before its fields: a connection's nodes under `edges.node`
 * (and `nodes`), with its cursor's columns; a `prismaField`'s are the field itself, with nothing.
 */
interface Recipe {
  typeName?: string;
  paths: string[][];
  initial?: Query;
}
const FIELD_ITSELF: Recipe = { paths: [] };

/**
 * The plugin's plan of the field, as `queryFromInfo` makes it, its callbacks given `context`; undefined where nothing
 * is selected beneath the recipe's paths (a connection asked only for its total).
 */
function plan(info: GraphQLResolveInfo, skipDeferredFragments: boolean | undefined, context: object, recipe: Recipe) {
  return Plan.fromInfo(prismaAdapter, { context, info, path: [], skipDeferredFragments, ...recipe }) as SettledPlan | Promise<SettledPlan> | undefined;
}

/** The query of the root prisma field `info` resolves: from a kept plan where there is one. */
function plannedQuery(context: object, info: GraphQLResolveInfo, skipDeferredFragments: boolean | undefined, recipe: Recipe = FIELD_ITSELF): Query | Promise<Query> {
  const node = info.fieldNodes[0]!;
  const keepable = info.path.prev === undefined && info.fieldNodes.length === 1;
  let field = keepable ? byFieldNode.get(node) : undefined;
  if (keepable && !field) byFieldNode.set(node, (field = { variables: [...variablesOf(node.selectionSet, info)].sort(), plans: new Map() }));
  const key = field && keyOf(field.variables, info.variableValues);
  const kept = field && key !== undefined ? field.plans.get(key) : undefined;
  if (kept) {
    prismaPlans.reused += 1;
    kept.context = context;
    // As `kept.query(undefined, info)`: the settled play's mappings recorded on this request's context, and its node
    // as a query, which is the same every time: made once, frozen, and handed to every request.
    const played = (kept as unknown as { played?: { mappings: Mappings } }).played;
    if (played && kept.shared) {
      setLoaderMappings(context, info, played.mappings);
      return kept.shared;
    }
    const query = kept.query(undefined, info) as Query;
    playedFrom.set(query, kept);
    if (played) kept.shared = deepFreeze(query);
    return query;
  }
  prismaPlans.planned += 1;
  // Planned with a watched context where the plan may be kept; kept if planning was synchronous and touched nothing.
  const keep = field !== undefined && key !== undefined && kept === undefined && field.plans.size < MAX_VARIANTS;
  const watch = keep ? watched(context) : undefined;
  const settle = (made: SettledPlan, synchronous: boolean) => {
    if (watch) {
      watch.revoke();
      field!.plans.set(key!, synchronous && !watch.watch.touched ? made : null);
    }
    made.context = context;
    return made.query() as Query;
  };
  const made = plan(info, skipDeferredFragments, watch?.proxy ?? context, recipe);
  if (made === undefined) {
    // As queryFromInfo: nothing to plan or map, so the selection it was given. Planned again next time (it is cheap).
    watch?.revoke();
    return recipe.initial ?? {};
  }
  return isThenable(made) ? made.then((settled) => settle(settled, false)) : settle(made, true);
}

type OnUnusedQuery = NonNullable<(typeof builder)['options']['prisma']>['onUnusedQuery'];

/** What the plugin does when a resolver never read the query it was given (`onUnusedQuery`: tests set `error`). */
function unusedReporter(onUnusedQuery: OnUnusedQuery) {
  return (info: GraphQLResolveInfo) => {
    if (typeof onUnusedQuery === 'function') return onUnusedQuery(info);
    const message = `Prisma query was unused in resolver for ${info.parentType.name}.${info.fieldName}`;
    if (onUnusedQuery === 'error') throw new PothosError(message);
    if (onUnusedQuery === 'warn') console.warn(message);
  };
}

// `t.prismaField` as the plugin defines it (field-builder.js), with the query from plannedQuery.
type PrismaResolve = (query: Query, parent: unknown, args: unknown, context: object, info: GraphQLResolveInfo) => unknown;
type FieldBuilderThis = { builder: typeof builder; field: (options: Record<string, unknown>) => unknown };
(RootFieldBuilder.prototype as unknown as { prismaField: unknown }).prismaField = function prismaField(
  this: FieldBuilderThis,
  { type, resolve, ...options }: { type: unknown; resolve: PrismaResolve },
) {
  const schemaBuilder = this.builder;
  const modelOrRef = Array.isArray(type) ? type[0] : type;
  const ref = typeof modelOrRef === 'string' ? getRefFromModel(modelOrRef, schemaBuilder as never) : modelOrRef;
  const onUnusedQuery = schemaBuilder.options.prisma?.onUnusedQuery;
  const skipDeferredFragments = schemaBuilder.options.prisma?.skipDeferredFragments;
  const unused = unusedReporter(onUnusedQuery);
  const run = (query: Query, parent: unknown, args: unknown, context: object, info: GraphQLResolveInfo) => {
    if (!onUnusedQuery) return resolve(query, parent, args, context, info);
    const checked = wrapWithUsageCheck(query);
    // The check's copy stands for the same kept plan (tests run with the check, so they play this path too).
    const played = playedFrom.get(query);
    if (played) playedFrom.set(checked, played);
    const result = resolve(checked, parent, args, context, info);
    const check = <T>(value: T): T => {
      if (!isUsed(checked)) unused(info);
      return value;
    };
    return isThenable(result) ? result.then(check) : check(result);
  };
  return this.field({
    ...options,
    type: Array.isArray(type) ? [ref] : ref,
    resolve: (parent: unknown, args: unknown, context: object, info: GraphQLResolveInfo) => {
      const query = plannedQuery(context, info, skipDeferredFragments);
      return isThenable(query) ? query.then((settled) => run(settled, parent, args, context, info)) : run(query, parent, args, context, info);
    },
  });
};

// `t.prismaConnection` as the plugin defines it (field-builder.js), with the query of its nodes from plannedQuery: the
// same walk as a prismaField's, with the connection's recipe (its nodes under `edges.node` and `nodes`, its cursor's
// columns selected first); and its `totalCount` option counted beside the page (connection-total.ts). The page and
// the connection object are the plugin's (resolvePrismaCursorConnection).
type ConnectionThis = FieldBuilderThis & {
  builder: { configStore: { getTypeConfig: (ref: unknown) => { name: string; extensions?: Record<string, unknown> } } };
  connection: (options: Record<string, unknown>, connectionOptions: unknown, edgeOptions: unknown) => unknown;
};
type ConnectionOptions = {
  type: unknown;
  cursor: string;
  maxSize?: unknown;
  defaultSize?: unknown;
  resolve: PrismaResolve;
  totalCount?: (parent: unknown, args: unknown, context: object, info: GraphQLResolveInfo) => unknown;
};
type ConnectionArgs = { first?: number | null; last?: number | null; before?: string | null; after?: string | null } & Record<string, unknown>;

/**
 * What the plugin refuses in a connection's arguments, refused first as typed errors naming the argument: the plugin
 * throws them untyped, and they reached a client without a code or a field.
 */
function refuseConnectionArgs({ first, last, before, after }: ConnectionArgs): void {
  if (first != null && first < 0) throw new ValidationError('first', 'first must not be negative', 'PAGE_SIZE_NEGATIVE');
  if (last != null && last < 0) throw new ValidationError('last', 'last must not be negative', 'PAGE_SIZE_NEGATIVE');
  if (before != null && after != null) throw new ValidationError('before', 'before and after cannot be given together', 'PAGE_ARGUMENTS_CONFLICT');
  if (before != null && first != null) throw new ValidationError('first', 'first pages forward, before backward: give one', 'PAGE_ARGUMENTS_CONFLICT');
  if (after != null && last != null) throw new ValidationError('last', 'last pages backward, after forward: give one', 'PAGE_ARGUMENTS_CONFLICT');
}

(RootFieldBuilder.prototype as unknown as { prismaConnection: unknown }).prismaConnection = function prismaConnection(
  this: ConnectionThis,
  { type, cursor, maxSize, defaultSize, resolve, totalCount, ...options }: ConnectionOptions,
  connectionOptions: Record<string, unknown> | ObjectRef<never, never> = {},
  edgeOptions: unknown = {},
) {
  const schemaBuilder = this.builder as unknown as typeof builder & ConnectionThis['builder'];
  maxSize ??= schemaBuilder.options.prisma?.maxConnectionSize;
  defaultSize ??= schemaBuilder.options.prisma?.defaultConnectionSize;
  const ref = typeof type === 'string' ? getRefFromModel(type, schemaBuilder as never) : type;
  const { name: typeName, extensions } = schemaBuilder.configStore.getTypeConfig(ref);
  const model = extensions?.pothosPrismaModel as string;
  const formatCursor = getCursorFormatter(model, schemaBuilder, cursor);
  const parsePluginCursor = getCursorParser(model, schemaBuilder, cursor);
  const recipe: Recipe = { typeName, paths: [['nodes'], ['edges', 'node']], initial: { select: ModelLoader.getCursorSelection(ref, model, cursor, schemaBuilder) } };
  const onUnusedQuery = schemaBuilder.options.prisma?.onUnusedQuery;
  const skipDeferredFragments = schemaBuilder.options.prisma?.skipDeferredFragments;
  const unused = unusedReporter(onUnusedQuery);
  const resolveConnection = (planned: Query, parent: unknown, args: ConnectionArgs, context: object, info: GraphQLResolveInfo, totalCountOnly: boolean) => {
    refuseConnectionArgs(args);
    const parseCursor = (value: string) => {
      try {
        return parsePluginCursor(value);
      } catch (error) {
        if (!(error instanceof PothosValidationError)) throw error;
        throw new ValidationError(args.before != null ? 'before' : 'after', 'Not a cursor of this list', 'CURSOR_MALFORMED');
      }
    };
    const played = playedFrom.get(planned);
    const query = onUnusedQuery ? wrapWithUsageCheck(planned) : planned;
    const check = <T>(value: T): T => {
      if (onUnusedQuery && !isUsed(query)) unused(info);
      return value;
    };
    let total: (() => Promise<number>) | undefined;
    return resolvePrismaCursorConnection(
      { parent, query, ctx: context, parseCursor, maxSize, defaultSize, args, totalCount: totalCount && (() => total!()) },
      formatCursor,
      (paged) => {
        // Once the arguments have passed the plugin's checks: the total counted beside the page, not after it
        // (src/domains/common/connection-total.ts); the totalCount field answers with it.
        if (totalCount) total = countBeside(info, async () => (await totalCount(parent, args, context, info)) as number);
        if (totalCountOnly) return [];
        // The page's query (the plan's, with take, skip and cursor) stands for the same kept plan.
        if (played) playedFrom.set(paged, played);
        const result = resolve(paged, parent, args, context, info);
        return isThenable(result) ? result.then(check) : check(result);
      },
    );
  };
  return this.connection(
    {
      ...options,
      type: ref,
      resolve: (parent: unknown, args: ConnectionArgs, context: object, info: GraphQLResolveInfo) => {
        const returnType = getNamedType(info.returnType);
        const fields = isObjectType(returnType) || isInterfaceType(returnType) ? returnType.getFields() : {};
        const totalCountOnly = info.fieldNodes.every((node) =>
          node.selectionSet?.selections.every(
            (s) => s.kind === Kind.FIELD && (fields[s.name.value]?.extensions?.pothosPrismaTotalCount || s.name.value === '__typename'),
          ),
        );
        const query = plannedQuery(context, info, skipDeferredFragments, recipe);
        return isThenable(query)
          ? query.then((settled) => resolveConnection(settled, parent, args, context, info, totalCountOnly))
          : resolveConnection(query, parent, args, context, info, totalCountOnly);
      },
    },
    connectionOptions instanceof ObjectRef
      ? connectionOptions
      : {
          ...connectionOptions,
          fields: totalCount
            ? (t: { int: (options: Record<string, unknown>) => unknown }) => ({
                totalCount: t.int({
                  nullable: false,
                  extensions: { pothosPrismaTotalCount: true },
                  resolve: (parent: { totalCount?: () => unknown }) => parent.totalCount?.(),
                }),
                ...(connectionOptions.fields as ((t: unknown) => Record<string, unknown>) | undefined)?.(t),
              })
            : connectionOptions.fields,
        },
    edgeOptions,
  );
};
