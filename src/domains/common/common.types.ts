import { GraphQLError } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { builder } from '../../builder.ts';
import { AppError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../errors.ts';

builder.queryType({});
builder.subscriptionType({});
// Deny by default: a mutation runs only if it replaces these type scopes with its own (`skipTypeScopes: true` and
// `authScopes`), e.g. `{ can: { action, subject } }`, or `{ public: true }` for the anonymous login mutations.
builder.mutationType({ authScopes: () => false });

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string with time zone (e.g. 2025-04-25T14:27:55.776Z).',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value as string)) {
      throw new GraphQLError('DateTime must be an ISO 8601 string such as 2025-04-25T14:27:55Z', {
        extensions: { code: 'VALIDATION_FAILED' },
      });
    }
    return date;
  },
});

/** The interface every expected failure implements, so clients can select `code`, `message` and `field` once. */
export const ErrorInterface = builder.interfaceRef<AppError>('Error').implement({
  description: 'An expected failure: a stable code to switch on, a message to show, and the input field at fault.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    field: t.string({ nullable: true, resolve: (error) => error.field ?? null }),
  }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function errorObject(cls: new (...args: any[]) => AppError, name: string, description: string) {
  return builder.objectType(cls, { name, description, interfaces: [ErrorInterface], isTypeOf: (value) => value instanceof cls });
}

errorObject(AppError, 'BaseError', 'A failure of a kind with no type of its own.');
errorObject(ValidationError, 'ValidationError', 'An input value is missing, malformed or out of range; `field` names it.');
errorObject(NotFoundError, 'NotFoundError', 'The object does not exist, or is not visible to you.');
errorObject(UnauthenticatedError, 'UnauthenticatedError', 'You must log in first.');
errorObject(ForbiddenError, 'ForbiddenError', 'Your role may not do this.');

interface Tick {
  sequence: number;
  at: Date;
  tenantCode: string | null;
}

const Heartbeat = builder.objectRef<Tick>('Heartbeat').implement({
  description: 'A tick of a live connection, proving the subscription transport works end to end.',
  fields: (t) => ({
    sequence: t.exposeInt('sequence'),
    at: t.expose('at', { type: 'DateTime' }),
    tenantCode: t.exposeString('tenantCode', { nullable: true }),
  }),
});

builder.subscriptionField('heartbeat', (t) =>
  t.field({
    type: Heartbeat,
    description: 'Ticks every `intervalMs` milliseconds (100 to 60 000) until the client unsubscribes.',
    authScopes: { public: true },
    args: { intervalMs: t.arg.int({ defaultValue: 1000, required: true }), count: t.arg.int({ required: false }) },
    subscribe: (_root, { intervalMs, count }, ctx) => {
      if (intervalMs < 100 || intervalMs > 60_000) {
        throw new ValidationError('intervalMs', 'intervalMs must be between 100 and 60000');
      }
      if (count != null && count < 1) throw new ValidationError('count', 'count must be at least 1');
      return ticks(intervalMs, count ?? Number.POSITIVE_INFINITY, ctx.tenant?.code ?? null);
    },
    resolve: (tick) => tick,
  }),
);

function ticks(intervalMs: number, count: number, tenantCode: string | null) {
  return new Repeater<Tick>(async (push, stop) => {
    let sequence = 0;
    const timer = setInterval(() => {
      sequence += 1;
      void push({ sequence, at: new Date(), tenantCode });
      if (sequence >= count) stop();
    }, intervalMs);
    await stop;
    clearInterval(timer);
  });
}
