import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuaranteeReviewDocument, InstitutionRatingsDocument, ReviewGuaranteeDocument } from '../../schema/generated/graphql.ts';
import { averageRating } from '../../src/domains/review/review.service.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { issuedGuarantee, tenantActors, type TenantActors } from '../support/guarantees.ts';

let server: TestServer;
let xj: TenantActors;
let hn: TenantActors;

beforeAll(async () => {
  server = await startTestServer({ sweepIntervalMs: 0 });
  // One tenant after the other: the same demo mobiles log in to both, and SMS codes are read per mobile.
  xj = await tenantActors(server, 'xinjiang');
  hn = await tenantActors(server, 'hunan');
});
afterAll(() => server?.stop());

const review = async (token: string, guaranteeId: string, rating: number, comment?: string) =>
  (await server.client({ token }).request(ReviewGuaranteeDocument, { input: { guaranteeId, rating, comment } })).reviewGuarantee;

/** The public rating of the institution that issued the tenant's fixture guarantees (the first one listed). */
async function rating(tenant: string, institutionCode: string) {
  const { tenant: catalogue } = await server.client().request(InstitutionRatingsDocument, { code: tenant });
  return catalogue.institutionGroups.flatMap((g) => g.institutions).find((i) => i.code === institutionCode)!.rating;
}

describe('reviews', () => {
  it('lets the bidder rate its guarantee once: 5 with a comment, then REVIEW_EXISTS', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    expect(await review(xj.bidder, guarantee.id, 5, '出函很快，服务周到')).toMatchObject({ __typename: 'Review', rating: 5, comment: '出函很快，服务周到' });
    expect(await review(xj.bidder, guarantee.id, 4)).toMatchObject({ __typename: 'BaseError', code: 'REVIEW_EXISTS', field: 'input.guaranteeId' });
    for (const token of [xj.bidder, xj.institution, xj.admin]) {
      expect((await server.client({ token }).request(GuaranteeReviewDocument, { id: guarantee.id })).guarantee?.review).toMatchObject({ rating: 5 });
    }
    const events = await server.app.db.domainEvent.findMany({ where: { type: 'REVIEW_SUBMITTED' } });
    expect(events).toHaveLength(1);
    expect(await server.app.db.review.count()).toBe(1);
  });

  it('lets only one of two racing reviews in', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    const results = await Promise.all([review(xj.bidder, guarantee.id, 2), review(xj.bidder, guarantee.id, 3)]);
    expect(results.map((r) => r.__typename).sort()).toEqual(['BaseError', 'Review']);
    expect(results.find((r) => r.__typename === 'BaseError')).toMatchObject({ code: 'REVIEW_EXISTS' });
  });

  it('refuses a rating of 0 or 6, a fraction and a comment over 500 characters, naming the field', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    expect(await review(xj.bidder, guarantee.id, 0)).toMatchObject({ __typename: 'ValidationError', code: 'RATING_OUT_OF_RANGE', field: 'input.rating' });
    expect(await review(xj.bidder, guarantee.id, 6)).toMatchObject({ __typename: 'ValidationError', code: 'RATING_OUT_OF_RANGE', field: 'input.rating' });
    expect(await review(xj.bidder, guarantee.id, 3, '好'.repeat(501))).toMatchObject({ code: 'COMMENT_TOO_LONG', field: 'input.comment' });
    const fraction = await server.client({ token: xj.bidder }).rawRequest(`mutation { reviewGuarantee(input: { guaranteeId: "${guarantee.id}", rating: 4.5 }) { __typename } }`).catch((e: { response: unknown }) => e.response);
    expect(JSON.stringify(fraction)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(await review(xj.bidder, guarantee.id, 3, '好'.repeat(500))).toMatchObject({ __typename: 'Review', rating: 3 });
  });

  it("keeps other parties and tenants out: another tenant's bidder gets not found, the institution is forbidden", async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    expect(await review(hn.bidder, guarantee.id, 1)).toMatchObject({ __typename: 'NotFoundError', code: 'GUARANTEE_NOT_FOUND' });
    expect(await review(xj.institution, guarantee.id, 5)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect((await server.client({ token: xj.tenderee }).request(GuaranteeReviewDocument, { id: guarantee.id })).guarantee).toBeNull();
  });

  it("shows the institution's average to everyone: 4 and 5 make 4.5", async () => {
    const first = await issuedGuarantee(server, hn);
    const second = await issuedGuarantee(server, hn);
    const institution = await server.app.db.guarantee.findFirstOrThrow({ where: { number: first.guarantee.number }, include: { institution: true } });
    expect(await rating('hunan', institution.institution.code)).toEqual({ average: null, count: 0 });
    await review(hn.bidder, first.guarantee.id, 4);
    await review(hn.bidder, second.guarantee.id, 5);
    expect(await rating('hunan', institution.institution.code)).toEqual({ average: '4.5', count: 2 });
  });

  it('rounds the exact mean half-up to one decimal', () => {
    expect(averageRating(9, 2)).toBe('4.5');
    expect(averageRating(13, 3)).toBe('4.3');
    expect(averageRating(19, 4)).toBe('4.8');
    expect(averageRating(9, 4)).toBe('2.3');
    expect(averageRating(5, 1)).toBe('5.0');
  });
});
