import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DecideExtensionDocument,
  ExtensionsDocument,
  GuaranteeExtensionsDocument,
  RecordSectionEventDocument,
  RequestExtensionDocument,
  type RequestExtensionMutation,
} from '../../schema/generated/graphql.ts';
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

const DAY = 86_400_000;
const as = (token: string) => server.client({ token });
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

type RequestResult = RequestExtensionMutation['requestExtension'];
type Extension = Extract<RequestResult, { __typename: 'Extension' }>;

async function requestExtension(actors: TenantActors, guaranteeId: string, newValidUntil: string, reason = '项目变更，开标时间推迟') {
  return (await as(actors.bidder).request(RequestExtensionDocument, { input: { guaranteeId, newValidUntil, reason } })).requestExtension;
}
function expectExtension(result: RequestResult): Extension {
  if (result.__typename !== 'Extension') throw new Error(`expected an extension, got ${JSON.stringify(result)}`);
  return result;
}
const decide = async (actors: TenantActors, extensionId: string, approve: boolean, reason?: string) =>
  (await as(actors.institution).request(DecideExtensionDocument, { input: { extensionId, approve, reason } })).decideExtension;

/** An issued guarantee (opening in 10 days, valid 90 days past it) whose section the admin then changes. */
async function changedSection(actors: TenantActors, newOpeningInDays = 20) {
  const issued = await issuedGuarantee(server, actors);
  const { recordSectionEvent } = await as(actors.admin).request(RecordSectionEventDocument, {
    input: { sectionId: issued.section.id, kind: 'CHANGED', note: '开标时间调整', newOpeningAt: inDays(newOpeningInDays) },
  });
  expect(recordSectionEvent).toMatchObject({ __typename: 'BidSection', status: 'CHANGED' });
  return issued;
}

describe('extensions (延期)', () => {
  it('refuses an extension while the section has no change event, naming the rule', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    const result = await requestExtension(xj, guarantee.id, inDays(200));
    expect(result).toMatchObject({ __typename: 'ExtensionNotAllowedError', code: 'EXTENSION_NOT_ALLOWED', refusal: 'NO_SECTION_CHANGE', field: 'input.guaranteeId' });
  });

  it('refuses where the tenant offers no extensions', async () => {
    const { guarantee } = await changedSection(xj);
    const afterSale = server.app.tenants.byCode('xinjiang')!.config.afterSale;
    afterSale.extension = false;
    try {
      expect(await requestExtension(xj, guarantee.id, inDays(200))).toMatchObject({ code: 'EXTENSION_NOT_ALLOWED', refusal: 'NOT_OFFERED' });
    } finally {
      afterSale.extension = true;
    }
  });

  it('after a CHANGED event: requested, approved, and the validity end moves with the previous one recorded', async () => {
    const { guarantee } = await changedSection(xj);
    const before = guarantee.validUntil!;
    const newValidUntil = new Date(Date.parse(before) + 30 * DAY).toISOString();
    const extension = expectExtension(await requestExtension(xj, guarantee.id, newValidUntil));
    expect(extension).toMatchObject({ status: 'PENDING', previousValidUntil: before, requestedValidUntil: newValidUntil, decidedAt: null });

    const approved = await decide(xj, extension.id, true);
    expect(approved).toMatchObject({ __typename: 'Extension', status: 'APPROVED', previousValidUntil: before, guarantee: { validUntil: newValidUntil } });
    const seen = await as(xj.bidder).request(GuaranteeExtensionsDocument, { id: guarantee.id });
    expect(seen.guarantee).toMatchObject({ validUntil: newValidUntil, extensions: [{ id: extension.id, status: 'APPROVED' }] });
    expect(await decide(xj, extension.id, false, '重复处理')).toMatchObject({ code: 'ILLEGAL_TRANSITION' });

    const rawId = Buffer.from(extension.id, 'base64').toString().split(':')[1]!;
    const events = await server.app.db.domainEvent.findMany({ where: { aggregateId: rawId }, orderBy: { sequence: 'asc' } });
    expect(events.map((e) => (e.payload as { action: string }).action)).toEqual(['REQUEST', 'APPROVE']);
    expect(await server.app.db.domainEvent.count({ where: { type: 'GUARANTEE_VALIDITY_EXTENDED' } })).toBe(1);
  });

  it('keeps one pending extension per guarantee, and a rejection needs a reason and leaves the validity alone', async () => {
    const { guarantee } = await changedSection(hn);
    const newValidUntil = new Date(Date.parse(guarantee.validUntil!) + 10 * DAY).toISOString();
    const pending = expectExtension(await requestExtension(hn, guarantee.id, newValidUntil));
    expect(await requestExtension(hn, guarantee.id, newValidUntil)).toMatchObject({ __typename: 'BaseError', code: 'EXTENSION_PENDING' });

    expect(await decide(hn, pending.id, false)).toMatchObject({ __typename: 'ValidationError', code: 'REASON_REQUIRED', field: 'input.reason' });
    expect(await decide(hn, pending.id, false, '变更后的开标时间仍在原有效期内')).toMatchObject({
      status: 'REJECTED',
      decisionReason: '变更后的开标时间仍在原有效期内',
      guarantee: { validUntil: guarantee.validUntil },
    });
    // Decided: the bidder may ask again.
    expect(await requestExtension(hn, guarantee.id, newValidUntil)).toMatchObject({ __typename: 'Extension', status: 'PENDING' });
  });

  it('wants the new end after the current one and after the moved opening', async () => {
    const { guarantee } = await changedSection(xj, 120);
    const current = Date.parse(guarantee.validUntil!);
    expect(await requestExtension(xj, guarantee.id, new Date(current - DAY).toISOString())).toMatchObject({
      __typename: 'ValidationError',
      code: 'EXTENSION_NOT_LATER',
      field: 'input.newValidUntil',
    });
    // Valid 100 days, the opening moved to day 120: day 110 is later than now but not past the opening.
    expect(await requestExtension(xj, guarantee.id, inDays(110))).toMatchObject({ code: 'VALIDITY_BEFORE_OPENING', field: 'input.newValidUntil' });
    expect(await requestExtension(xj, guarantee.id, inDays(130), ' ')).toMatchObject({ code: 'REASON_REQUIRED', field: 'input.reason' });
    expect(await requestExtension(xj, guarantee.id, inDays(130))).toMatchObject({ __typename: 'Extension' });
  });

  it('lists records for the bidder, its institution and the admin only; others get not found or forbidden', async () => {
    const { guarantee } = await changedSection(hn);
    const extension = expectExtension(await requestExtension(hn, guarantee.id, new Date(Date.parse(guarantee.validUntil!) + DAY).toISOString()));
    const ids = async (token: string, status?: Array<'PENDING' | 'APPROVED' | 'REJECTED'>) =>
      (await as(token).request(ExtensionsDocument, { status, first: 50 })).extensions.edges.map((e) => e.node.id);
    for (const token of [hn.bidder, hn.institution, hn.admin]) expect(await ids(token, ['PENDING'])).toContain(extension.id);
    expect(await ids(hn.bidder, ['APPROVED'])).not.toContain(extension.id);
    for (const token of [hn.tenderee, hn.agent, xj.bidder, xj.institution, xj.admin]) expect(await ids(token)).not.toContain(extension.id);
    expect(await ids(hn.tenderee)).toEqual([]);

    expect(await decide(xj, extension.id, true)).toMatchObject({ __typename: 'NotFoundError', code: 'EXTENSION_NOT_FOUND' });
    expect(await requestExtension(xj, guarantee.id, inDays(300))).toMatchObject({ __typename: 'NotFoundError', code: 'GUARANTEE_NOT_FOUND' });
    const byBidder = (await as(hn.bidder).request(DecideExtensionDocument, { input: { extensionId: extension.id, approve: true } })).decideExtension;
    expect(byBidder).toMatchObject({ __typename: 'ForbiddenError' });
  });
});
