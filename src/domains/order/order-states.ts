import { AppError } from '../../errors.ts';

/** The lifecycle of a guarantee order (DESIGN.md 5.1). */
export const ORDER_STATUSES = [
  'DRAFT',
  'UNDER_REVIEW',
  'AWAITING_PAYMENT',
  'PAID',
  'ISSUED',
  'ABANDONED',
  'EXPIRED',
  'REJECTED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What can happen to an order; each is a row of {@link ORDER_TRANSITIONS}. */
export type OrderAction =
  | 'SUBMIT'
  | 'APPROVE_UNDERWRITING'
  | 'REJECT_UNDERWRITING'
  | 'CONFIRM_PAYMENT'
  | 'ISSUE'
  | 'ABANDON'
  | 'EXPIRE'
  | 'CANCEL';

/** Who may take an action: the bidder that owns the order, the institution it was placed with, or the system. */
export type OrderActor = 'BIDDER' | 'INSTITUTION' | 'SYSTEM';

export interface OrderTransition {
  from: OrderStatus;
  action: OrderAction;
  to: OrderStatus;
  by: readonly OrderActor[];
  /** The timeline label the manuals show for the new state. */
  label: string;
  /** Extra condition, named so a refusal can say which. */
  guard?: OrderGuard;
}

export type OrderGuard = 'REVIEWED_PRODUCT' | 'REAL_TIME_PRODUCT' | 'PAID_BEFORE_EXPIRY';

/** What guards look at. */
export interface OrderFacts {
  issuance: 'REAL_TIME' | 'REVIEWED';
  /** For a payment confirmation: the money arrived no later than the order's expiry. */
  paidBeforeExpiry?: boolean;
}

const GUARDS: Record<OrderGuard, (facts: OrderFacts) => boolean> = {
  REVIEWED_PRODUCT: (facts) => facts.issuance === 'REVIEWED',
  REAL_TIME_PRODUCT: (facts) => facts.issuance === 'REAL_TIME',
  PAID_BEFORE_EXPIRY: (facts) => facts.paidBeforeExpiry === true,
};

/**
 * Every legal move of an order, and nothing else. `applyOrderTransition` looks the move up here; a move that is not
 * a row is refused with the current state named.
 */
export const ORDER_TRANSITIONS: readonly OrderTransition[] = [
  { from: 'DRAFT', action: 'SUBMIT', to: 'UNDER_REVIEW', by: ['BIDDER'], label: '投保审核', guard: 'REVIEWED_PRODUCT' },
  { from: 'DRAFT', action: 'SUBMIT', to: 'AWAITING_PAYMENT', by: ['BIDDER'], label: '待支付', guard: 'REAL_TIME_PRODUCT' },
  { from: 'DRAFT', action: 'ABANDON', to: 'ABANDONED', by: ['BIDDER'], label: '已放弃' },
  { from: 'DRAFT', action: 'EXPIRE', to: 'EXPIRED', by: ['SYSTEM'], label: '已取消(超时)' },
  { from: 'UNDER_REVIEW', action: 'APPROVE_UNDERWRITING', to: 'AWAITING_PAYMENT', by: ['INSTITUTION'], label: '待支付' },
  { from: 'UNDER_REVIEW', action: 'REJECT_UNDERWRITING', to: 'REJECTED', by: ['INSTITUTION'], label: '核保未通过' },
  { from: 'UNDER_REVIEW', action: 'ABANDON', to: 'ABANDONED', by: ['BIDDER'], label: '已放弃' },
  { from: 'AWAITING_PAYMENT', action: 'CONFIRM_PAYMENT', to: 'PAID', by: ['INSTITUTION'], label: '付款成功' },
  // A payment made before the deadline but confirmed after the expiry sweep ran still counts: paid, never both.
  { from: 'EXPIRED', action: 'CONFIRM_PAYMENT', to: 'PAID', by: ['INSTITUTION'], label: '付款成功', guard: 'PAID_BEFORE_EXPIRY' },
  { from: 'AWAITING_PAYMENT', action: 'ABANDON', to: 'ABANDONED', by: ['BIDDER'], label: '已放弃' },
  { from: 'AWAITING_PAYMENT', action: 'EXPIRE', to: 'EXPIRED', by: ['SYSTEM'], label: '已取消(超时)' },
  { from: 'AWAITING_PAYMENT', action: 'CANCEL', to: 'CANCELLED', by: ['INSTITUTION', 'SYSTEM'], label: '已取消' },
  { from: 'PAID', action: 'ISSUE', to: 'ISSUED', by: ['INSTITUTION', 'SYSTEM'], label: '投保成功' },
  { from: 'PAID', action: 'CANCEL', to: 'CANCELLED', by: ['INSTITUTION', 'SYSTEM'], label: '已取消(退费)' },
];

/** States in which the order still holds the bidder's place for its section (one live order per section). */
export const LIVE_STATUSES: readonly OrderStatus[] = ['DRAFT', 'UNDER_REVIEW', 'AWAITING_PAYMENT', 'PAID', 'ISSUED'];

/** States that are waiting for money: the unpaid-order timeout applies to them. */
export const UNPAID_STATUSES: readonly OrderStatus[] = ['DRAFT', 'AWAITING_PAYMENT'];

/** An action that the order's current state does not allow; names the state and the action. */
export class IllegalTransitionError extends AppError {
  override name = 'IllegalTransitionError';
  constructor(status: OrderStatus, action: OrderAction) {
    super('ILLEGAL_TRANSITION', `An order in state ${status} cannot ${action.toLowerCase().replace(/_/g, ' ')}`, undefined, {
      currentStatus: status,
      action,
    });
  }
}

/**
 * The transition `action` takes from `status` for `actor`, or IllegalTransitionError. Guarded rows apply only when
 * their guard holds for `facts` (a reviewed product goes to underwriting review first).
 */
export function findOrderTransition(status: OrderStatus, action: OrderAction, actor: OrderActor, facts: OrderFacts): OrderTransition {
  const match = ORDER_TRANSITIONS.find(
    (row) => row.from === status && row.action === action && row.by.includes(actor) && (row.guard === undefined || GUARDS[row.guard](facts)),
  );
  if (!match) throw new IllegalTransitionError(status, action);
  return match;
}
