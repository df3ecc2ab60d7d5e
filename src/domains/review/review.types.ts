import { subject } from '@casl/ability';
import { builder } from '../../builder.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { InstitutionRef } from '../catalog/catalog.types.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as reviews from './review.service.ts';

export const ReviewRef = builder.prismaObject('Review', {
  description: "The bidder's rating of the institution's service for one guarantee (评价).",
  fields: (t) => ({
    id: t.exposeID('id'),
    rating: t.exposeInt('rating', { description: '1 to 5.' }),
    comment: t.exposeString('comment'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const InstitutionRatingRef = builder.objectRef<reviews.InstitutionRating>('InstitutionRating').implement({
  description: "Bidders' ratings of an institution's service.",
  fields: (t) => ({
    average: t.expose('average', {
      type: 'Decimal',
      nullable: true,
      description: 'The mean rating, exact and rounded half-up to one decimal ("4.5"); null before the first review.',
    }),
    count: t.exposeInt('count'),
  }),
});

// Public like the catalogue: a bidder chooses an institution knowing its rating. One grouped query per request
// for all the institutions a response lists.
builder.objectField(InstitutionRef, 'rating', (t) =>
  t.loadable({
    type: InstitutionRatingRef,
    description: 'The average of the reviews bidders gave it in this tenant.',
    load: (ids: string[], ctx) => reviews.institutionRatings(ctx, ids),
    resolve: (institution) => institution.id,
  }),
);

builder.prismaObjectField(GuaranteeRef, 'review', (t) =>
  t.field({
    type: ReviewRef,
    nullable: true,
    description: "The bidder's review, once given (visible to the bidder, the institution and the admin).",
    select: { review: true },
    resolve: (g, _args, ctx) => (g.review && ctx.ability.can('read', subject('Review', g.review)) ? g.review : null),
  }),
);

const ReviewGuaranteeInput = builder.inputType('ReviewGuaranteeInput', {
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    rating: t.int({ required: true, description: 'A whole number from 1 to 5.' }),
    comment: t.string({ required: false, description: `At most ${reviews.COMMENT_MAX_LENGTH} characters.` }),
  }),
});

builder.mutationField('reviewGuarantee', (t) =>
  t.prismaField({
    type: 'Review',
    description: "The bidder rates the institution's service for its guarantee, once.",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: ReviewGuaranteeInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ForbiddenError, AppError], directResult: true, union: { name: 'ReviewGuaranteeResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const review = await reviews.reviewGuarantee(ctx, { ...input, guaranteeId: input.guaranteeId.id });
      return ctx.db.review.findUniqueOrThrow({ ...query, where: { id: review.id } });
    },
  }),
);
