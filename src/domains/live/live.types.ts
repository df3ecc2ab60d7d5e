import { encodeGlobalID } from '@pothos/plugin-relay';
import { accessibleBy } from '../../auth/ability.ts';
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { OrderStatus } from '../../db/generated/prisma/client.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { isTerminal, openLiveStream, type LiveItem, type PublishedEvent } from '../../events/live.ts';
import { GuaranteeOrderRef, OrderStatusEnum } from '../order/order.types.ts';
import { canReceiveOrderEvent, canReceivePartyEvent, readableTenantIds } from './live.rules.ts';
import { UUID } from '../common/formats.ts';

export const EVENT_TYPES = {
  order: ['ORDER_STATUS_CHANGED'],
  refund: ['REFUND_STATUS_CHANGED'],
  claim: ['CLAIM_STATUS_CHANGED'],
} as const;

const MAX_SEQUENCE = 2n ** 63n - 1n;

const AFTER_DESCRIPTION =
  'Resume: the last `sequence` you received. Events after it are replayed from the event table (filtered as live ones), ' +
  'then live ones follow, with no gap and no duplicate. Omit it to start from now.';

const LiveEvent = builder.interfaceRef<PublishedEvent>('LiveEvent').implement({
  description: 'An event of the event table, delivered live or replayed.',
  fields: (t) => ({
    sequence: t.exposeString('sequence', {
      description: "The event's position (a 64-bit integer as decimal digits), increasing in commit order; pass the last one you received as `after` when you reconnect.",
    }),
    type: t.exposeString('type', { description: 'e.g. ORDER_STATUS_CHANGED.' }),
    occurredAt: t.field({ type: 'DateTime', resolve: (event) => event.createdAt }),
  }),
});

const payloadString = (event: PublishedEvent, key: string): string | null => {
  const value = event.payload[key];
  return typeof value === 'string' ? value : null;
};

const OrderStatusChange = builder.objectRef<PublishedEvent>('OrderStatusChange').implement({
  description: "An order moved along its lifecycle (created, submitted, reviewed, paid, issued, abandoned, expired, …).",
  interfaces: [LiveEvent],
  isTypeOf: (event) => (event as PublishedEvent).type === 'ORDER_STATUS_CHANGED',
  fields: (t) => ({
    action: t.string({ description: 'The transition: CREATE, SUBMIT, CONFIRM_PAYMENT, ABANDON, EXPIRE, …', resolve: (e) => payloadString(e, 'action') ?? '' }),
    from: t.field({ type: OrderStatusEnum, nullable: true, description: 'Null when the order was created.', resolve: (e) => payloadString(e, 'from') as OrderStatus | null }),
    to: t.field({ type: OrderStatusEnum, resolve: (e) => payloadString(e, 'to') as OrderStatus }),
    orderNumber: t.string({ resolve: (e) => payloadString(e, 'number') ?? '' }),
    order: t.prismaField({
      type: GuaranteeOrderRef,
      nullable: true,
      description: 'The order as it is now (it may have moved on since this event), read under the usual rules; null if no longer visible.',
      resolve: (query, event, _args, ctx) =>
        ctx.db.guaranteeOrder.findFirst({
          ...query,
          where: { id: event.aggregateId, tenantId: event.tenantId, AND: [accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder')] },
        }),
    }),
  }),
});

function partyChange(name: string, aggregate: 'Refund' | 'Claim', type: string, description: string) {
  return builder.objectRef<PublishedEvent>(name).implement({
    description,
    interfaces: [LiveEvent],
    isTypeOf: (event) => (event as PublishedEvent).type === type,
    fields: (t) => ({
      [`${aggregate.toLowerCase()}Id`]: t.id({ description: `The ${aggregate.toLowerCase()} (global id).`, resolve: (e) => encodeGlobalID(aggregate, e.aggregateId) }),
      from: t.string({ nullable: true, description: 'The previous state; null when it was created.', resolve: (e) => payloadString(e, 'from') }),
      to: t.string({ description: 'The new state.', resolve: (e) => payloadString(e, 'to') ?? '' }),
      guaranteeId: t.id({
        nullable: true,
        description: 'The guarantee it concerns (global id), when the event names it.',
        resolve: (e) => {
          const id = payloadString(e, 'guaranteeId');
          return id ? encodeGlobalID('Guarantee', id) : null;
        },
      }),
    }),
  });
}

const RefundStatusChange = partyChange(
  'RefundStatusChange',
  'Refund',
  'REFUND_STATUS_CHANGED',
  'A refund (退保) moved along its lifecycle (SUBMITTED → UNDER_REVIEW → APPROVED → PAID_OUT, REJECTED, AWAITING_ACCOUNT).',
);
const ClaimStatusChange = partyChange('ClaimStatusChange', 'Claim', 'CLAIM_STATUS_CHANGED', 'A claim (索赔) moved along its lifecycle.');

/** `after` as a sequence, or a VALIDATION_FAILED naming the argument. */
function parseAfter(after: string | null | undefined): bigint | null {
  if (after === null || after === undefined) return null;
  if (!/^\d{1,19}$/.test(after) || BigInt(after) > MAX_SEQUENCE) {
    throw new ValidationError('after', 'after must be the sequence of an event you received: decimal digits, such as "42"');
  }
  return BigInt(after);
}

/** The item handed to the resolver: an event, or the error that ends the stream (sent as an error frame). */
function resolveItem(item: LiveItem, _args: unknown, ctx: Context): PublishedEvent {
  if (isTerminal(item)) throw item.terminal;
  // One context serves the whole subscription: never let one event's cached lookups serve the next.
  ctx.loaders.tenantById.clearAll();
  return item;
}

builder.subscriptionField('orderStatusChanged', (t) =>
  t.field({
    type: OrderStatusChange,
    description:
      "Order status changes the viewer may read: a bidder its enterprise's orders, an institution (console or API client) the orders placed with it, " +
      'new ones included, an admin its tenant (a province admin its cities too). Optionally one order only.',
    authScopes: { can: { action: 'read', subject: 'GuaranteeOrder' } },
    args: {
      after: t.arg.string({ required: false, description: AFTER_DESCRIPTION }),
      orderId: t.arg.globalID({ required: false, for: [GuaranteeOrderRef], description: 'Only this order.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(args.after);
      const tenantIds = readableTenantIds(ctx);
      let orderId: string | null = null;
      if (args.orderId) {
        const id = UUID.test(args.orderId.id) ? args.orderId.id : null;
        const order = id
          ? await ctx.db.guaranteeOrder.findFirst({
              where: { id, tenantId: { in: tenantIds }, AND: [accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder')] },
              select: { id: true },
            })
          : null;
        if (!order) throw new NotFoundError('Order', 'orderId', 'ORDER_NOT_FOUND');
        orderId = order.id;
      }
      return openLiveStream(ctx, {
        types: EVENT_TYPES.order,
        tenantIds,
        after,
        accept: (event) => (orderId === null || event.aggregateId === orderId) && canReceiveOrderEvent(ctx.ability, event),
      });
    },
    resolve: resolveItem,
  }),
);

for (const [field, type, types, what] of [
  ['refundStatusChanged', RefundStatusChange, EVENT_TYPES.refund, 'Refund'],
  ['claimStatusChanged', ClaimStatusChange, EVENT_TYPES.claim, 'Claim'],
] as const) {
  builder.subscriptionField(field, (t) =>
    t.field({
      type,
      description:
        `${what} status changes of the viewer's own business: the bidder, institution, tenderee or agent the event names (by the active role), ` +
        'and an admin its tenant (a province admin its cities too).',
      authScopes: { loggedIn: true },
      args: { after: t.arg.string({ required: false, description: AFTER_DESCRIPTION }) },
      subscribe: (_root, args, ctx) => {
        const after = parseAfter(args.after);
        const tenantIds = readableTenantIds(ctx);
        const viewer = ctx.viewer!;
        return openLiveStream(ctx, { types, tenantIds, after, accept: (event) => canReceivePartyEvent(viewer, tenantIds, event) });
      },
      resolve: resolveItem,
    }),
  );
}
