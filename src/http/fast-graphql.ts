import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import { sendText } from './send.ts';

/**
 * The JSON POST path, run on node:http without Yoga's fetch layer (issue 9): the same enveloped parse, validate,
 * context and execute Yoga runs (so the same plugins, error masking and caches), and Yoga's own `processRegularResult`
 * for the status, content type and body, but no WHATWG Request, Headers, Response or stream per request.
 *
 * It takes only what it can answer exactly as Yoga would, and hands everything else to Yoga untouched, before
 * anything has executed: a result other than a single JSON document (SSE, multipart, 406), a parse or validation
 * error, a subscription, malformed or unexpected parameters, non-empty `extensions`, a context that throws, and
 * variables that fail coercion (no `data` key: nothing ran). Once execution has started the answer is written here,
 * errors included (a mutation must not run twice).
 */
export type FastGraphQL = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, serverContext: object) => Promise<boolean>;

interface HeaderSource {
  get(name: string): string | null;
}

/** Yoga's processors in Yoga's order; the last match wins, as in Yoga's useResultProcessors. */
const PROCESSORS = [
  { kind: 'sse', mediaTypes: ['text/event-stream'] },
  { kind: 'multipart', mediaTypes: ['multipart/mixed'] },
  { kind: 'regular', mediaTypes: ['application/graphql-response+json', 'application/json'] },
] as const;

/**
 * The media type Yoga would answer a single (non-streamed) result with, or undefined when it would not use JSON.
 * Remembered per Accept header (a front end sends the same one all day), at most {@link MAX_ACCEPTS} of them.
 */
export function regularMediaType(accept: string | undefined): string | undefined {
  const known = mediaTypes.get(accept);
  if (known !== undefined || mediaTypes.has(accept)) return known;
  const mediaType = chooseMediaType(accept);
  if (mediaTypes.size < MAX_ACCEPTS) mediaTypes.set(accept, mediaType);
  return mediaType;
}
const MAX_ACCEPTS = 256;
const mediaTypes = new Map<string | undefined, string | undefined>();

function chooseMediaType(accept: string | undefined): string | undefined {
  const requested: string[] = [];
  for (const entry of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType, ...params] = entry.split(';');
    if (mediaType === undefined) continue;
    const charset = params.find((param) => param.includes('charset=')) || 'charset=utf-8';
    if (charset === 'charset=utf-8') requested.push(mediaType);
  }
  requested.reverse();
  let chosen: { kind: string; mediaType: string } | undefined;
  for (const processor of PROCESSORS) {
    for (const asked of requested) {
      const [askedPre, askedSuf] = asked.split('/');
      for (const mediaType of processor.mediaTypes) {
        const [pre, suf] = mediaType.split('/');
        // As Yoga's isMatchingMediaType(processor, requested): the wildcard is on the requested side.
        if ((askedPre === '*' || askedPre === pre) && (askedSuf === '*' || askedSuf === suf)) chosen = { kind: processor.kind, mediaType };
      }
    }
  }
  return chosen?.kind === 'regular' ? chosen.mediaType : undefined;
}

/** A Response stand-in for processRegularResult: it only records what Yoga would send. */
class RecordedResponse {
  constructor(
    readonly body: string | null,
    readonly init: { status?: number; headers?: Record<string, string> } = {},
  ) {}
}
const RECORDING_FETCH_API = { Response: RecordedResponse } as never;

const PARAMETERS = new Set(['query', 'variables', 'operationName', 'extensions']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any server and user context: only getEnveloped is used
export function createFastGraphQL(yoga: YogaServerInstance<any, any>): FastGraphQL {
  return async (req, res, body, serverContext) => {
    const mediaType = regularMediaType(headerOf(req, 'accept'));
    if (!mediaType) return false;
    // As Yoga's parameter check: any other non-null key is a 400 there, so Yoga answers it.
    for (const key in body) if (body[key] != null && !PARAMETERS.has(key)) return false;
    const { query, variables, operationName, extensions } = body;
    if (typeof query !== 'string' || (variables != null && !isObject(variables)) || (operationName != null && typeof operationName !== 'string')) return false;
    if (extensions != null && (!isObject(extensions) || Object.keys(extensions).length > 0)) return false;

    const headers: HeaderSource = { get: (name) => headerOf(req, name.toLowerCase()) ?? null };
    const request = { method: 'POST', url: req.url ?? '/graphql', headers };
    const params = { query, variables: variables ?? undefined, operationName: operationName ?? undefined };
    // Yoga answers parse errors and context failures with its own status and shape: a throw here means "not ours".
    // Built by assignment, not `{ ...serverContext, request, params }`: envelop then assigns the whole request context
    // onto this object, and on an object made by spreading, V8 takes a slow path for every property added (measured:
    // 13 µs against 1 µs per request, a tenth of a trivial request's CPU).
    const initial = Object.assign(Object.assign({}, serverContext), { request, params });
    const prepared = await prepare(yoga, initial).catch(() => undefined);
    if (!prepared) return false;
    const result = (await prepared.enveloped.execute(prepared.args)) as ExecutionResult;
    if (!('data' in result)) {
      // Variables that failed coercion: nothing executed, so Yoga can answer it with its request-error status.
      return false;
    }
    const recorded = processRegularResult(result, RECORDING_FETCH_API, mediaType) as unknown as RecordedResponse;
    const cors = getCORSHeadersByRequestAndOptions(request as never, {});
    sendText(res, recorded.init.status ?? 200, { ...recorded.init.headers, ...cors }, recorded.body ?? '');
    return true;
  };
}

/**
 * Documents found valid against a schema, as Yoga's parse cache hands out the same document for the same text. Yoga
 * caches validation results too, but its lookup runs every plugin's `onValidate` and names each validation rule on
 * every request (a function's `name`, 1.5 % of a mutation's CPU). The plugins' hooks only act on errors (codes,
 * status), and none adds a rule that depends on the request, so a document valid once is valid again; one with errors
 * is never kept, and goes to Yoga each time.
 */
const validated = new WeakMap<DocumentNode, GraphQLSchema>();

/** Parsed, valid, a query or mutation, with its context built: ready to execute. Undefined when Yoga should answer. */
async function prepare(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as createFastGraphQL
  yoga: YogaServerInstance<any, any>,
  initial: { params: { query: string; variables?: Record<string, unknown>; operationName?: string }; [key: string]: unknown },
) {
  const { params } = initial;
  const enveloped = yoga.getEnveloped(initial);
  const document = enveloped.parse(params.query);
  if (document instanceof Error) return undefined;
  if (validated.get(document) !== enveloped.schema) {
    if (enveloped.validate(enveloped.schema, document).length > 0) return undefined;
    validated.set(document, enveloped.schema);
  }
  const operation = getOperationAST(document, params.operationName);
  if (!operation || operation.operation === 'subscription') return undefined;
  const contextValue = await enveloped.contextFactory();
  const args = { schema: enveloped.schema, document, contextValue, variableValues: params.variables, operationName: params.operationName };
  return { enveloped, args };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
