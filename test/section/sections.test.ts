import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PublishSectionDocument,
  RecordSectionEventDocument,
  RegisterForSectionDocument,
  SectionDocument,
  SectionsDocument,
  type PublishSectionInput,
} from '../../schema/generated/graphql.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import { prismaPlans } from '../../src/prisma-plans.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';

let server: TestServer;
const tokens: Record<string, string> = {};
const tenderee = DEMO_ENTERPRISES.find((e) => e.key === 'tenderee')!;
const agent = DEMO_ENTERPRISES.find((e) => e.key === 'agent')!;

beforeAll(async () => {
  server = await startTestServer();
  Object.assign(tokens, await smsLogins(server, [
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
    ['xjTenderee', 'xinjiang', DEMO.TENDEREE],
    ['xjAgent', 'xinjiang', DEMO.AGENT],
    ['qzAdmin', 'quzhou', DEMO.ADMIN],
    ['qzBidder', 'quzhou', DEMO.BIDDER],
  ]));
});
afterAll(() => server?.stop());

const as = (key: string) => server.client({ token: tokens[key] });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const sectionInput = (overrides: Partial<PublishSectionInput> = {}): PublishSectionInput => ({
  code: `XJ-${Math.random().toString(36).slice(2, 8)}`,
  name: '乌鲁木齐市政道路改造工程一标段',
  projectName: '乌鲁木齐市政道路改造工程',
  projectType: 'CONSTRUCTION',
  tendereeUscc: tenderee.uscc,
  agentUscc: agent.uscc,
  depositAmount: '300000',
  openingAt: inDays(10),
  bidValidityDays: 90,
  ...overrides,
});

async function publish(key: string, overrides: Partial<PublishSectionInput> = {}) {
  const { publishSection } = await as(key).request(PublishSectionDocument, { input: sectionInput(overrides) });
  if (publishSection.__typename !== 'BidSection') throw new Error(JSON.stringify(publishSection));
  return publishSection;
}

describe('publishing sections', () => {
  it('lets an admin publish a section that bidders then find by name or code', async () => {
    const section = await publish('xjAdmin', { code: 'XJ-ROAD-001' });
    expect(section).toMatchObject({ code: 'XJ-ROAD-001', depositAmount: '300000.00', status: 'OPEN', opened: false, tendereeName: tenderee.name, agentName: agent.name });
    const byCode = await as('xjBidder').request(SectionsDocument, { search: 'road-001' });
    expect(byCode.sections.edges.map((edge) => edge.node.id)).toEqual([section.id]);
    const byName = await as('xjBidder').request(SectionsDocument, { search: '市政道路' });
    expect(byName.sections.edges.map((edge) => edge.node.id)).toContain(section.id);
  });

  it('refuses a bidder, and bad input naming the field, writing nothing', async () => {
    const denied = await as('xjBidder').request(PublishSectionDocument, { input: sectionInput() });
    expect(denied.publishSection).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const cases: Array<[Partial<PublishSectionInput>, string, string]> = [
      [{ depositAmount: '-1' }, 'AMOUNT_NOT_POSITIVE', 'input.depositAmount'],
      [{ depositAmount: '1.005' }, 'AMOUNT_PRECISION', 'input.depositAmount'],
      [{ openingAt: inDays(-1) }, 'OPENING_IN_PAST', 'input.openingAt'],
      [{ tendereeUscc: '91350100M000100Y43' }, 'TENDEREE_NOT_FOUND', 'input.tendereeUscc'],
      [{ projectType: 'OTHER' }, 'PROJECT_TYPE_NOT_OFFERED', 'input.projectType'],
      [{ bidValidityDays: 0 }, 'VALIDATION_FAILED', 'input.bidValidityDays'],
    ];
    for (const [overrides, code, field] of cases) {
      const { publishSection } = await as('xjAdmin').request(PublishSectionDocument, { input: sectionInput({ code: 'XJ-BAD', ...overrides }) });
      expect(publishSection, JSON.stringify(overrides)).toMatchObject({ code, field });
    }
    expect((await as('xjBidder').request(SectionsDocument, { search: 'XJ-BAD' })).sections.totalCount).toBe(0);
    await publish('xjAdmin', { code: 'XJ-TWICE' });
    const twice = await as('xjAdmin').request(PublishSectionDocument, { input: sectionInput({ code: 'XJ-TWICE' }) });
    expect(twice.publishSection).toMatchObject({ code: 'SECTION_CODE_TAKEN', field: 'input.code' });
  });
});

describe('section events', () => {
  it('follow the section table: suspend, resume, change the opening time, open; then only failure remains', async () => {
    const section = await publish('xjAdmin');
    const record = (kind: 'SUSPENDED' | 'RESUMED' | 'CHANGED' | 'FAILED' | 'TERMINATED' | 'OPENED', extra: { newOpeningAt?: string } = {}) =>
      as('xjAdmin').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind, note: kind, ...extra } });
    expect((await record('SUSPENDED')).recordSectionEvent).toMatchObject({ status: 'SUSPENDED' });
    expect((await record('RESUMED')).recordSectionEvent).toMatchObject({ status: 'OPEN' });
    const moved = inDays(20);
    expect((await record('CHANGED', { newOpeningAt: moved })).recordSectionEvent).toMatchObject({ status: 'CHANGED', openingAt: moved });
    const opened = (await record('OPENED')).recordSectionEvent;
    expect(opened).toMatchObject({ status: 'OPENED', opened: true });
    expect(opened.__typename === 'BidSection' && opened.events.map((e) => e.kind)).toEqual(['SUSPENDED', 'RESUMED', 'CHANGED', 'OPENED']);
    expect((await record('SUSPENDED')).recordSectionEvent).toMatchObject({ code: 'ILLEGAL_SECTION_EVENT', field: 'input.kind' });
    expect((await record('FAILED')).recordSectionEvent).toMatchObject({ status: 'FAILED' });
  });

  it('may be recorded only by an admin of the section tenant', async () => {
    const section = await publish('xjAdmin');
    const byBidder = await as('xjBidder').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'FAILED' } });
    expect(byBidder.recordSectionEvent).toMatchObject({ code: 'FORBIDDEN' });
    const byOtherTenant = await as('qzAdmin').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'FAILED' } });
    expect(byOtherTenant.recordSectionEvent).toMatchObject({ code: 'SECTION_NOT_FOUND' });
  });
});

describe('who sees which section', () => {
  it('shows a tenderee and an agent their own sections, and no tenant another tenant’s', async () => {
    const section = await publish('xjAdmin', { code: 'XJ-VISIBLE' });
    expect((await as('xjTenderee').request(SectionDocument, { id: section.id })).section?.code).toBe('XJ-VISIBLE');
    expect((await as('xjAgent').request(SectionDocument, { id: section.id })).section?.code).toBe('XJ-VISIBLE');
    const withoutAgent = await publish('xjAdmin', { code: 'XJ-NO-AGENT', agentUscc: null });
    expect((await as('xjAgent').request(SectionDocument, { id: withoutAgent.id })).section).toBeNull();
    expect((await as('qzBidder').request(SectionDocument, { id: section.id })).section).toBeNull();
    expect((await as('qzAdmin').request(SectionsDocument, { search: 'XJ-' })).sections.totalCount).toBe(0);
  });

  it('pages with a relay connection', async () => {
    for (let i = 0; i < 3; i += 1) await publish('xjAdmin', { code: `XJ-PAGE-${i}` });
    const first = await as('xjBidder').request(SectionsDocument, { search: 'XJ-PAGE', first: 2 });
    expect(first.sections.totalCount).toBe(3);
    expect(first.sections.edges).toHaveLength(2);
    expect(first.sections.pageInfo.hasNextPage).toBe(true);
    const rest = await as('xjBidder').request(SectionsDocument, { search: 'XJ-PAGE', first: 2, after: first.sections.pageInfo.endCursor });
    expect(rest.sections.edges).toHaveLength(1);
  });
});

describe('registration (Quzhou)', () => {
  it('records the bidder as registered for the section', async () => {
    const section = await publish('qzAdmin', { code: 'QZ-REG-1', agentUscc: null });
    expect((await as('qzBidder').request(SectionDocument, { id: section.id })).section?.registered).toBe(false);
    const { registerForSection } = await as('qzBidder').request(RegisterForSectionDocument, {
      input: { sectionId: section.id, contactName: '张三', contactMobile: '13900000000' },
    });
    expect(registerForSection).toMatchObject({ registered: true });
    const bad = await as('qzBidder').request(RegisterForSectionDocument, { input: { sectionId: section.id, contactName: '张三', contactMobile: '123' } });
    expect(bad.registerForSection).toMatchObject({ code: 'MOBILE_MALFORMED', field: 'input.contactMobile' });
    // `registered` selects by the viewer's enterprise (it reads the context): its plan is made for each request, never
    // kept from another viewer's (src/prisma-plans.ts).
    const before = { ...prismaPlans };
    for (let i = 0; i < 2; i += 1) {
      expect((await as('qzBidder').request(SectionDocument, { id: section.id })).section?.registered).toBe(true);
      expect((await as('qzAdmin').request(SectionDocument, { id: section.id })).section?.registered).toBe(false);
    }
    expect(prismaPlans.planned - before.planned).toBe(4);
    expect(prismaPlans.reused - before.reused).toBe(0);
  });
});
