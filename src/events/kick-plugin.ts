import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { EventBus } from './pubsub.ts';

/**
 * Wakes the outbox relay when a mutation has finished executing. Every service commits its transaction before its
 * resolver returns, so by then the events it wrote are committed: the relay publishes them at once instead of at
 * its next poll. One place for every domain (orders, sections, and those still to come) instead of a call after
 * each transaction; work outside GraphQL (the expiry sweep) is picked up by the poll or may call `events.kick()`.
 */
export function useRelayKick(events: Pick<EventBus, 'kick'>): Plugin {
  return {
    onExecute: ({ args }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      return { onExecuteDone: () => events.kick() };
    },
  };
}
