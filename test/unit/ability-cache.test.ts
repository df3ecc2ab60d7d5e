import { randomUUID } from 'node:crypto';
import { subject } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { abilityFor, defineAbilityFor } from '../../src/auth/ability.ts';
import type { Viewer } from '../../src/auth/viewer.ts';
import { TENANTS_DIR } from '../../src/server.ts';
import { loadTenants } from '../../src/tenants/load.ts';
import { TenantRegistry } from '../../src/tenants/registry.ts';

// A request's ability is made once per viewer's facts and tenant registry and handed to each request of the same
// facts (issue 9). It must never reach a viewer whose facts differ in anything.
const loaded = await loadTenants(TENANTS_DIR);
const registry = () =>
  new TenantRegistry(loaded.map((t) => ({ id: randomUUID(), code: t.code, name: t.file.name, parentCode: t.parentCode, config: t.file, trustedCaRootPems: t.trustedCaRootPems })));
const tenants = registry();
const xinjiang = tenants.byCode('xinjiang')!;
const bidder: Viewer = {
  kind: 'user', userId: randomUUID(), apiClientId: null, tenantId: xinjiang.id, tenantCode: 'xinjiang', role: 'BIDDER',
  sessionId: randomUUID(), enterpriseId: randomUUID(), institutionId: null,
};
const order = (fields: Record<string, unknown>) => subject('GuaranteeOrder', { tenantId: xinjiang.id, ...fields } as never);

describe('the ability per viewer', () => {
  it('is the same object for the same facts, and answers as one made for them', () => {
    const ability = abilityFor({ ...bidder }, tenants);
    expect(abilityFor({ ...bidder }, tenants)).toBe(ability);
    expect(ability.rules).toEqual(defineAbilityFor(bidder, tenants).rules);
    expect(ability.can('read', order({ bidderId: bidder.enterpriseId }))).toBe(true);
    expect(ability.can('read', order({ bidderId: randomUUID() }))).toBe(false);
  });

  it('is another for any other fact: enterprise, role, session, tenant registry; anonymous is empty', () => {
    const ability = abilityFor(bidder, tenants);
    const otherEnterprise = { ...bidder, enterpriseId: randomUUID() };
    expect(abilityFor(otherEnterprise, tenants)).not.toBe(ability);
    expect(abilityFor(otherEnterprise, tenants).can('read', order({ bidderId: bidder.enterpriseId }))).toBe(false);
    const institution = { ...bidder, role: 'INSTITUTION' as const, enterpriseId: null, institutionId: randomUUID() };
    expect(abilityFor(institution, tenants).can('read', order({ bidderId: bidder.enterpriseId }))).toBe(false);
    expect(abilityFor(institution, tenants).can('read', order({ institutionId: institution.institutionId }))).toBe(true);
    expect(abilityFor({ ...bidder, sessionId: randomUUID() }, tenants)).not.toBe(ability);
    // Another registry (tenant ids differ): another ability, with that registry's ids in its rules.
    const others = registry();
    expect(abilityFor(bidder, others)).not.toBe(ability);
    expect(abilityFor(bidder, others).can('read', order({ bidderId: bidder.enterpriseId }))).toBe(false);
    expect(abilityFor(undefined, tenants).rules).toEqual([]);
  });
});
