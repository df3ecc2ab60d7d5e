/** Helpers for live-event tests: follow a subscription over graphql-ws or SSE, read the event table's head. */
import type { Client as WsClient } from 'graphql-ws';
import { expect } from 'vitest';
import { recordDomainEvent, type DomainEventInput } from '../../src/events/outbox.ts';
import type { TestServer } from '../support/harness.ts';

export interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Followed<T> {
  items: T[];
  errors: GraphQLErrorLike[];
  readonly completed: boolean;
  /** Waits until `count` items arrived (or fails after `timeoutMs`, naming what did arrive). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Waits until the stream completed or failed. */
  ended(timeoutMs?: number): Promise<void>;
  stop(): void;
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const following = new Set<Followed<unknown>>();

/** Stops every subscription `follow` opened (afterEach: a failed test must not leave them open for the next). */
export function stopAll(): void {
  for (const followed of following) followed.stop();
  following.clear();
}

/** Subscribes over graphql-ws and records what arrives: data items, errors (frames or results), completion. */
export function follow<T>(client: WsClient, query: string, variables: Record<string, unknown> = {}): Followed<T> {
  const items: T[] = [];
  const errors: GraphQLErrorLike[] = [];
  let completed = false;
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...(value.errors as GraphQLErrorLike[]));
        else items.push(value.data as T);
      },
      error: (error) => {
        errors.push(...(Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }]));
        completed = true;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  const followed: Followed<T> = {
    items,
    errors,
    get completed() {
      return completed;
    },
    waitFor: async (count, timeoutMs = 15_000) => {
      await until(() => items.length >= count || errors.length > 0, timeoutMs, () => `${count} items, got ${JSON.stringify(items)}`);
      if (items.length < count) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
      return items;
    },
    ended: (timeoutMs = 15_000) => until(() => completed, timeoutMs, () => `the end of the stream; items ${JSON.stringify(items)}, errors ${JSON.stringify(errors)}`),
    stop: () => {
      following.delete(followed as Followed<unknown>);
      stop();
    },
  };
  following.add(followed as Followed<unknown>);
  return followed;
}

/** Reads an SSE response until `count` data events arrived or the stream ended; aborts the request after. */
export async function sse(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
  count: number,
  whileOpen?: () => Promise<void>,
): Promise<{ events: Array<{ data?: unknown; errors?: GraphQLErrorLike[] }>; ended: boolean }> {
  const controller = new AbortController();
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ data?: unknown; errors?: GraphQLErrorLike[] }> = [];
  let buffer = '';
  let ended = false;
  let started = false;
  const timeout = setTimeout(() => controller.abort(), 10_000);
  try {
    for (;;) {
      if (!started && whileOpen) {
        started = true;
        void whileOpen();
      }
      const chunk = await reader.read();
      if (chunk.done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      for (const match of buffer.matchAll(/^event: (\w+)\ndata: ?(.*)$/gm)) {
        if (match[1] === 'next') events.push(JSON.parse(match[2]!));
        if (match[1] === 'complete') ended = true;
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      if (ended || events.length >= count) break;
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
  return { events, ended };
}

/** The newest sequence of the event table (what a client that saw everything would pass as `after`). */
export async function head(server: TestServer): Promise<string> {
  const [row] = await server.app.db.$queryRaw<[{ newest: bigint | null }]>`SELECT max(sequence) AS newest FROM "DomainEvent"`;
  return (row.newest ?? 0n).toString();
}

/** Writes events through the outbox, as a service would, in one committed transaction; then wakes the relay. */
export async function recordEvents(server: TestServer, events: DomainEventInput[]): Promise<string[]> {
  const sequences = await server.app.db.$transaction(async (tx) => {
    const out: bigint[] = [];
    for (const event of events) out.push(await recordDomainEvent(tx, event));
    return out;
  });
  server.app.events.kick();
  return sequences.map(String);
}

/** Waits until the hub of `server` holds `count` open subscriptions. */
export async function openSubscriptions(server: TestServer, count: number): Promise<void> {
  await until(() => server.app.events.live!.hub.size === count, 15_000, () => `${count} open subscriptions, have ${server.app.events.live!.hub.size}`);
}

export function expectCode(errors: GraphQLErrorLike[], code: string): void {
  expect(errors.map((error) => error.extensions?.code), JSON.stringify(errors)).toContain(code);
}

export function tenantId(server: TestServer, code: string): Promise<string> {
  return server.app.db.tenant.findUniqueOrThrow({ where: { code }, select: { id: true } }).then((t) => t.id);
}
