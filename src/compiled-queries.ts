/**
 * Queries and mutations executed by graphql-jit where that answers exactly as graphql-tools' executor would (issue 9).
 *
 * graphql-jit compiles an operation once into code that completes its results without the executor's generic walk
 * per field (argument values, field collection, completion by type), which on an order-list page is about a sixth
 * of the server's CPU. It answers as the executor does, with one exception here: the prisma plugin finds what a
 * parent row loaded for its fields by the identity of the `info.path` objects graphql-js shares between a field and
 * its children, and graphql-jit builds a fresh path object for every resolver call, so below the root the plugin
 * would never find it and would load the rows again, or fail. So a compiled run may only reach prisma fields the
 * plugin is not needed for: root fields (nothing above them to look up), and fields of objects a read model built
 * (src/db/read-model-row.ts, src/builder.ts). Any other prisma field throws {@link CompiledRunFallback} in a
 * compiled run (src/builder.ts), and the operation is executed again by the usual executor:
 * - a query from the start: it reads only, so the second run answers as a single run of the executor would;
 * - a mutation with its root fields answered by what they resolved to in the compiled run (their writes are done, and
 *   must not be done twice): the mutation type's resolvers are wrapped to record that in a compiled run and replay it
 *   in the run after, so only the fields below are completed again.
 * What the first run completed is lost work (for a query, its root fields' statements run twice), so an operation
 * that has fallen back more often than it completed runs the usual way, and compiled only every 64th time: an
 * operation over Prisma's rows pays the lost work about once in 64, and one that fell back for a request the read
 * model did not cover (a search with LIKE wildcards) gets its compiled runs back soon.
 *
 * Subscriptions always go the usual way. An operation is compiled on its second execution, so an operation sent once
 * costs no compilation; the compiled code lives as long as Yoga's parse cache keeps the document. Variables are
 * coerced by graphql-jit's compiled coercion, which refuses what graphql-js refuses but for an array where an input
 * object belongs ({@link arrayForInputObject}, checked before; test/unit/variable-coercion.test.ts); when either
 * refuses, nothing has run and the operation goes the usual way, so its errors are the executor's.
 */
import {
  defaultFieldResolver,
  getOperationAST,
  isInputObjectType,
  isListType,
  isNonNullType,
  typeFromAST,
  type DocumentNode,
  type GraphQLInputType,
  type ExecutionArgs,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

const COMPILED_RUN = Symbol('compiled run');
const REPLAY = Symbol('replayed root fields');
/** An operation that falls back more often than it completes compiled is tried compiled again every this many runs. */
const RETRY_EVERY = 64;

interface Run {
  fellBack: boolean;
  /** A mutation's root fields as they resolved in the compiled run, by response key: the run the usual way replays them. */
  roots?: Map<string, RootResult>;
}

/** What a root field's resolver gave: its value (or promise), or what it threw. */
type RootResult = { value: unknown } | { thrown: unknown };

type Marked = { [COMPILED_RUN]?: Run; [REPLAY]?: Map<string, RootResult> };

interface Operation {
  /** The operation's definition, found once per document; undefined when the document names none that exists. */
  definition: OperationDefinitionNode | undefined;
  executions: number;
  completed: number;
  fallbacks: number;
  /** undefined until compiled; null when graphql-jit refused it. */
  compiled?: CompiledQuery | null;
  /** The variables' types, by name, once compiled (for {@link arrayForInputObject}). */
  variableTypes?: Array<[string, GraphQLInputType]>;
}

/** Thrown by a resolver that cannot answer in a compiled run; the operation then runs again the usual way. */
export class CompiledRunFallback extends Error {
  constructor() {
    super('This field is answered by the usual executor; the operation runs again.');
  }
}

/** Whether `context` is the context of a compiled run (and so the caller must not rely on `info.path` identity). */
export function inCompiledRun(context: unknown): boolean {
  return typeof context === 'object' && context !== null && (context as Marked)[COMPILED_RUN] !== undefined;
}

/** Marks the compiled run of `context` as one to repeat the usual way, and answers the error to throw. */
export function fallBack(context: unknown): CompiledRunFallback {
  const run = (context as Marked)[COMPILED_RUN];
  if (run) run.fellBack = true;
  return new CompiledRunFallback();
}

/** Compiled runs since start: completed, and repeated the usual way (for tests and profiles). */
export const compiledRuns = { completed: 0, fallbacks: 0 };

const operations = new WeakMap<DocumentNode, Map<string, Operation>>();

function operationOf(document: DocumentNode, name: string | null | undefined): Operation {
  let byName = operations.get(document);
  if (!byName) operations.set(document, (byName = new Map()));
  let operation = byName.get(name ?? '');
  if (!operation) byName.set(name ?? '', (operation = { definition: getOperationAST(document, name) ?? undefined, executions: 0, completed: 0, fallbacks: 0 }));
  return operation;
}

function compiledOf(operation: Operation, args: ExecutionArgs): CompiledQuery | undefined {
  operation.executions += 1;
  if (operation.executions < 2 || operation.compiled === null) return undefined;
  if (operation.fallbacks > operation.completed && operation.executions % RETRY_EVERY !== 0) return undefined;
  if (operation.compiled === undefined) {
    const compiled = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    operation.compiled = isCompiledQuery(compiled) ? compiled : null;
    operation.variableTypes = (operation.definition?.variableDefinitions ?? []).map((definition) => [
      definition.variable.name.value,
      typeFromAST(args.schema, definition.type) as GraphQLInputType,
    ]);
  }
  if (!operation.compiled) return undefined;
  const variables = args.variableValues ?? {};
  for (const [name, type] of operation.variableTypes!) if (arrayForInputObject(type, variables[name])) return undefined;
  return operation.compiled;
}

/**
 * Whether `value`, of input type `type`, has an array where an input object belongs, at any depth. graphql-jit takes
 * one as an object (of no fields); graphql-js refuses it, so such variables go to the executor for its error. That is
 * the one value graphql-jit's coercion accepts and graphql-js's refuses (test/unit/variable-coercion.test.ts).
 */
export function arrayForInputObject(type: GraphQLInputType, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (isNonNullType(type)) return arrayForInputObject(type.ofType as GraphQLInputType, value);
  if (isListType(type)) {
    const item = type.ofType as GraphQLInputType;
    return Array.isArray(value) ? value.some((element) => arrayForInputObject(item, element)) : arrayForInputObject(item, value);
  }
  if (!isInputObjectType(type)) return false;
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  const fields = type.getFields();
  for (const key in value) {
    const field = fields[key];
    if (field && arrayForInputObject(field.type, (value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/**
 * The mutation type's resolvers, wrapped once per schema so that a mutation's root field resolves once per request:
 * a compiled run records what each root field gave, and the run the usual way after a fallback answers each root
 * field with that instead of resolving it again, so its writes happen once and only the fields below are completed
 * again. Outside those two runs the wrapper only calls the resolver.
 */
const replayable = new WeakSet<GraphQLSchema>();
function replayMutationRoots(schema: GraphQLSchema): void {
  if (replayable.has(schema)) return;
  replayable.add(schema);
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info: GraphQLResolveInfo) => {
      const marked = context as Marked;
      const key = String(info.path.key);
      const replayed = marked[REPLAY]?.get(key);
      if (replayed) {
        if ('thrown' in replayed) throw replayed.thrown;
        return replayed.value;
      }
      const roots = marked[COMPILED_RUN]?.roots;
      if (!roots) return resolve(source, args, context, info);
      try {
        const value = resolve(source, args, context, info);
        roots.set(key, { value });
        return value;
      } catch (thrown) {
        roots.set(key, { thrown });
        throw thrown;
      }
    };
  }
}

export function useCompiledQueries(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = operationOf(args.document, args.operationName);
      const { definition } = operation;
      if (definition?.operation !== 'query' && definition?.operation !== 'mutation') return;
      const mutation = definition.operation === 'mutation';
      // Before any compilation, so compiled code can only ever call the wrapped resolvers.
      if (mutation) replayMutationRoots(args.schema);
      const compiled = compiledOf(operation, args);
      if (!compiled) return;
      setExecuteFn(async (execution: ExecutionArgs) => {
        const context = execution.contextValue as Marked;
        const run: Run = { fellBack: false, roots: mutation ? new Map() : undefined };
        context[COMPILED_RUN] = run;
        let result: Awaited<ReturnType<CompiledQuery['query']>>;
        try {
          result = await compiled.query(execution.rootValue, context, execution.variableValues ?? {});
        } finally {
          // Not `delete`: that would turn the context into a dictionary-mode object for the rest of the request.
          context[COMPILED_RUN] = undefined;
        }
        // Variables graphql-jit refused: nothing ran, and the executor answers with its own errors (its wording).
        if (!('data' in result)) return executeFn(execution);
        if (!run.fellBack) {
          operation.completed += 1;
          compiledRuns.completed += 1;
          return result;
        }
        operation.fallbacks += 1;
        compiledRuns.fallbacks += 1;
        if (!run.roots) return executeFn(execution);
        context[REPLAY] = run.roots;
        try {
          return await executeFn(execution);
        } finally {
          context[REPLAY] = undefined;
        }
      });
    },
  };
}
