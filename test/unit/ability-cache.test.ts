import { randomUUID } from 'node:crypto';
import { subject } from '@casl/ability';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { abilityFor, defineAbilityFor } from '../../src/auth/ability.ts';
import type { Viewer } from '../../src/auth/viewer.ts';
import { TENANTS_DIR } from '../../src/server.ts';
import { loadTenants } from '../../src/tenants/load.ts';
import { TenantRegistry } from '../../src/tenants/registry.ts';

// A request's ability is shared between the requests of the same viewer's facts and tenant registry where no rule
// read the time to make it (issue 9). It must never reach a viewer whose facts differ in anything, nor a request at
// another time when a rule depends on the time.
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
    // The session id is no fact a rule reads: another login of the same viewer shares the ability.
    expect(abilityFor({ ...bidder, sessionId: randomUUID() }, tenants)).toBe(ability);
    // Every other field is: viewers that differ in one of them never share one.
    const differing = [
      { ...institution, institutionId: randomUUID() },
      { ...bidder, userId: randomUUID() },
      { ...bidder, kind: 'apiClient' as const, userId: null, apiClientId: randomUUID(), sessionId: null },
      { ...bidder, tenantCode: 'hunan', tenantId: tenants.byCode('hunan')!.id },
    ];
    const abilities = [ability, abilityFor(institution, tenants), ...differing.map((viewer) => abilityFor(viewer, tenants))];
    expect(new Set(abilities).size).toBe(abilities.length);
    expect(abilityFor({ ...differing[2]!, apiClientId: randomUUID() }, tenants)).not.toBe(abilities[4]);
    expect(abilityFor({ ...institution, institutionId: randomUUID() }, tenants).can('read', order({ institutionId: institution.institutionId }))).toBe(false);
    // Another registry (tenant ids differ): another ability, with that registry's ids in its rules.
    const others = registry();
    expect(abilityFor(bidder, others)).not.toBe(ability);
    expect(abilityFor(bidder, others).can('read', order({ bidderId: bidder.enterpriseId }))).toBe(false);
    expect(abilityFor(undefined, tenants).rules).toEqual([]);
  });

  it("is made for each request's time where a rule reads the time: sealed until the opening, open from then on", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-03-01T09:59:59Z'));
    const tenderee = { ...bidder, role: 'TENDEREE' as const, sessionId: randomUUID() };
    const guarantee = subject('Guarantee', { tenantId: xinjiang.id, section: { tendereeId: tenderee.enterpriseId, openingAt: new Date('2026-03-01T10:00:00Z') } } as never);
    const before = abilityFor(tenderee, tenants);
    expect(before.can('read', guarantee)).toBe(false);
    vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
    const after = abilityFor(tenderee, tenants);
    expect(after).not.toBe(before);
    expect(after.can('read', guarantee)).toBe(true);
    const agent = { ...tenderee, role: 'AGENT' as const };
    expect(abilityFor(agent, tenants)).not.toBe(abilityFor(agent, tenants));
  });

  it('reads the time, in every rule, only through the rule context (so an ability with a time is never shared)', async () => {
    const domains = join(import.meta.dirname, '../../src/domains');
    const files: string[] = [];
    for (const domain of await readdir(domains)) {
      for (const file of await readdir(join(domains, domain))) if (file.endsWith('.rules.ts')) files.push(join(domains, domain, file));
    }
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = await readFile(file, 'utf8');
      expect(source, file).not.toMatch(/new Date\(|Date\.now\(|performance\.now\(|process\.hrtime/);
    }
  });
});

afterEach(() => {
  vi.useRealTimers();
});
