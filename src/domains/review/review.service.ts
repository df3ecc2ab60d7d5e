import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { Review } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { Decimal } from '../catalog/money.ts';
import { requireRole } from '../order/order.service.ts';
import { UUID } from '../common/formats.ts';

export const COMMENT_MAX_LENGTH = 500;

export interface ReviewGuaranteeInput {
  guaranteeId: string;
  rating: number;
  comment?: string | null;
}

/**
 * The bidder rates the institution's service for one of its guarantees, once (评价): a whole number from 1 to 5 and
 * a comment of at most 500 characters. Every guarantee row is past issuance, so any state may be reviewed. Refused:
 * where the tenant has no reviews (REVIEW_NOT_OFFERED), another party's guarantee (GUARANTEE_NOT_FOUND), a second
 * review (REVIEW_EXISTS, also when two race: the unique guarantee id decides).
 */
export async function reviewGuarantee(ctx: Context, input: ReviewGuaranteeInput): Promise<Review> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder reviews its guarantee');
  const tenant = ctx.requireTenant();
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
    throw new ValidationError('input.rating', 'A rating is a whole number from 1 to 5', 'RATING_OUT_OF_RANGE');
  }
  const comment = input.comment?.trim() ?? '';
  if ([...comment].length > COMMENT_MAX_LENGTH) {
    throw new ValidationError('input.comment', `A comment is at most ${COMMENT_MAX_LENGTH} characters`, 'COMMENT_TOO_LONG');
  }
  if (!tenant.config.afterSale.review) throw new AppError('REVIEW_NOT_OFFERED', `${tenant.name} does not take reviews`, 'input.guaranteeId');
  const guarantee = UUID.test(input.guaranteeId) ? await ctx.db.guarantee.findFirst({ where: { id: input.guaranteeId, tenantId: tenant.id } }) : null;
  if (!guarantee || !ctx.ability.can('read', subject('Guarantee', guarantee))) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
  const data = { tenantId: tenant.id, guaranteeId: guarantee.id, institutionId: guarantee.institutionId, bidderId: guarantee.bidderId!, rating: input.rating, comment };
  if (!ctx.ability.can('create', subject('Review', data as Review))) throw new ForbiddenError();
  try {
    return await ctx.db.$transaction(async (tx) => {
      if (await tx.review.findUnique({ where: { guaranteeId: guarantee.id } })) throw reviewExists();
      const review = await tx.review.create({ data });
      await recordDomainEvent(tx, {
        tenantId: tenant.id,
        type: 'REVIEW_SUBMITTED',
        aggregateType: 'Review',
        aggregateId: review.id,
        payload: { guaranteeId: guarantee.id, rating: review.rating, bidderId: review.bidderId, institutionId: review.institutionId, actorUserId: viewer.userId },
      });
      return review;
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw reviewExists();
    throw error;
  }
}

function reviewExists(): AppError {
  return new AppError('REVIEW_EXISTS', 'This guarantee has been reviewed already; a guarantee is reviewed once', 'input.guaranteeId');
}

export interface InstitutionRating {
  /** The mean rating rounded half-up to one decimal ("4.5"); null with no reviews. */
  average: string | null;
  count: number;
}

/**
 * The rating of each institution, in the order of `institutionIds`, from one grouped query. The mean is computed
 * exactly (sum / count as a decimal) and rounded half-up to one place: 4, 4, 5 → "4.3"; 4, 5, 5, 5 → "4.8".
 */
export async function institutionRatings(ctx: Pick<Context, 'db'>, institutionIds: readonly string[]): Promise<InstitutionRating[]> {
  const groups = await ctx.db.review.groupBy({
    by: ['institutionId'],
    where: { institutionId: { in: [...institutionIds] } },
    _sum: { rating: true },
    _count: { _all: true },
  });
  return institutionIds.map((id) => {
    const group = groups.find((g) => g.institutionId === id);
    const count = group?._count._all ?? 0;
    return { count, average: count ? averageRating(group?._sum.rating ?? 0, count) : null };
  });
}

export function averageRating(sum: number, count: number): string {
  return new Decimal(sum).div(count).toFixed(1, Decimal.ROUND_HALF_UP);
}
