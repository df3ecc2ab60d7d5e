import { describe, expect, it } from 'vitest';
import { evaluateRefund, type RefundSituation } from '../../src/domains/refund/refund-policy.ts';
import { TENANTS_DIR } from '../../src/server.ts';
import { loadTenants } from '../../src/tenants/load.ts';

const tenants = await loadTenants(TENANTS_DIR);
const rules = (code: string) => tenants.find((t) => t.code === code)!.file.refunds;
const effective = { guaranteeStatus: 'EFFECTIVE' } as const;

describe('Xinjiang refund rules (2021 manual, four cases)', () => {
  const xj = rules('xinjiang');
  it.each<[string, RefundSituation, string | false, boolean?]>([
    ['withdrawing before opening', { ...effective, opened: false, sectionStatus: 'OPEN', reason: 'WITHDRAWN' }, 'XJ_CASE1_WITHDRAWN_BEFORE_OPENING', false],
    ['a suspended project before opening', { ...effective, opened: false, sectionStatus: 'SUSPENDED', reason: 'SUSPENDED' }, 'XJ_CASE1_SUSPENDED_BEFORE_OPENING', true],
    ['a failed section before opening', { ...effective, opened: false, sectionStatus: 'FAILED', reason: 'FAILED' }, 'XJ_CASE2_FAILED_OR_TERMINATED_BEFORE_OPENING', true],
    ['a terminated section before opening', { ...effective, opened: false, sectionStatus: 'TERMINATED', reason: 'TERMINATED' }, 'XJ_CASE2_FAILED_OR_TERMINATED_BEFORE_OPENING', true],
    ['a failed section after opening', { ...effective, opened: true, sectionStatus: 'FAILED', reason: 'FAILED' }, 'XJ_CASE3_FAILED_AFTER_OPENING', true],
    ['withdrawing after opening', { ...effective, opened: true, sectionStatus: 'OPENED', reason: 'WITHDRAWN' }, false],
    ['another reason before opening on an open section', { ...effective, opened: false, sectionStatus: 'OPEN', reason: 'OTHER' }, false],
    ['a terminated section after opening', { ...effective, opened: true, sectionStatus: 'TERMINATED', reason: 'TERMINATED' }, false],
  ])('%s', (_case, situation, ruleCode, accountConfirmation) => {
    const decision = evaluateRefund(xj, situation);
    if (ruleCode === false) {
      expect(decision).toMatchObject({ allowed: false, ruleCode: 'XJ_CASE4_NOT_REFUNDABLE', description: expect.stringContaining('第4条') });
    } else {
      expect(decision).toMatchObject({ allowed: true, ruleCode, accountConfirmation });
    }
  });
});

describe('Hunan refund rules (5.3.3)', () => {
  const hn = rules('hunan');
  it('allow any reason while effective and before opening, nothing after opening or when not effective', () => {
    expect(evaluateRefund(hn, { ...effective, opened: false, sectionStatus: 'OPEN', reason: 'OTHER' })).toMatchObject({ allowed: true, ruleCode: 'HN_BEFORE_OPENING' });
    expect(evaluateRefund(hn, { ...effective, opened: true, sectionStatus: 'OPENED', reason: 'WITHDRAWN' })).toMatchObject({
      allowed: false,
      ruleCode: 'HN_OPENED_NOT_REFUNDABLE',
    });
    expect(evaluateRefund(hn, { guaranteeStatus: 'CLAIMING', opened: false, sectionStatus: 'OPEN' })).toMatchObject({ allowed: false });
  });
  it('are inherited by the cities', () => {
    expect(rules('hunan-changsha')).toEqual(hn);
  });
});
