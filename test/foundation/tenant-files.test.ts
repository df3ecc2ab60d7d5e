import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TENANTS_DIR } from '../../src/server.ts';
import { loadTenants, TenantConfigError } from '../../src/tenants/load.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tenantsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eg-tenants-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const province = `
code: prov
name: 示范省
orderNumberPrefix: TBaoHanPV
projectTypes:
  CONSTRUCTION: { name: 建设工程, paymentMethods: [GUARANTEE] }
institutions:
  - code: acme
    name: 示范保险
    kind: INSURER
    products:
      - { code: acme-bid, name: 投标保证保险, rate: "0.005", minimumPremium: "500", issuance: REVIEWED }
      - { code: acme-fast, name: 快速出函, rate: "0.008", minimumPremium: "800", issuance: REAL_TIME }
refunds:
  otherwise: { code: NOT_REFUNDABLE, description: 不可退保 }
`;

async function problemsOf(files: Record<string, string>) {
  const error = await loadTenants(await tenantsDir(files)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TenantConfigError);
  return (error as TenantConfigError).problems;
}

describe('tenant files', () => {
  it('load every checked-in tenant', async () => {
    const tenants = await loadTenants(TENANTS_DIR);
    expect(tenants.map((tenant) => tenant.code)).toContain('xinjiang');
  });

  it('let a city override one product rate and inherit everything else', async () => {
    const dir = await tenantsDir({
      'prov.yaml': province,
      'prov-city.yaml': `
code: prov-city
parent: prov
name: 示范市
orderNumberPrefix: TBaoHanCT
institutions:
  - code: acme
    products:
      - { code: acme-bid, rate: "0.004" }
`,
    });
    const tenants = await loadTenants(dir);
    const city = tenants.find((tenant) => tenant.code === 'prov-city')!;
    expect(city.parentCode).toBe('prov');
    expect(city.file.name).toBe('示范市');
    const [acme] = city.file.institutions;
    expect(acme!.name).toBe('示范保险');
    expect(acme!.products.map((p) => [p.code, p.rate, p.minimumPremium, p.issuance])).toEqual([
      ['acme-bid', '0.004', '500', 'REVIEWED'],
      ['acme-fast', '0.008', '800', 'REAL_TIME'],
    ]);
    expect(city.file.projectTypes.CONSTRUCTION?.paymentMethods).toEqual(['GUARANTEE']);
  });

  it.each([
    ['broken YAML', { 'prov.yaml': 'code: prov\nname: [unclosed' }, 'prov.yaml', /line \d+, column \d+/, /./],
    ['a wrong type', { 'prov.yaml': province.replace('rate: "0.005"', 'rate: 0.005') }, 'prov.yaml', 'institutions[0].products[0].rate', /string/],
    ['an unknown setting', { 'prov.yaml': `${province}\nrefundz: true\n` }, 'prov.yaml', '', /refundz/],
    ['a missing required setting', { 'prov.yaml': province.replace('orderNumberPrefix: TBaoHanPV\n', '') }, 'prov.yaml', 'orderNumberPrefix', /expected string/],
    ['an unknown payment method', { 'prov.yaml': province.replace('[GUARANTEE]', '[CASH]') }, 'prov.yaml', 'projectTypes.CONSTRUCTION.paymentMethods[0]', /DEPOSIT/],
    ['a code that differs from the file name', { 'other.yaml': province }, 'other.yaml', 'code', /must equal the file name "other"/],
    ['a parent without a file', { 'city.yaml': 'code: city\nparent: nowhere\nname: x\n' }, 'city.yaml', 'parent', /"nowhere", which has no file/],
    [
      'an override of an institution the parent does not define',
      { 'prov.yaml': province, 'prov-city.yaml': 'code: prov-city\nparent: prov\nname: 市\norderNumberPrefix: TBaoHanCT\ninstitutions:\n  - { code: ghost, products: [] }\n' },
      'prov-city.yaml',
      'institutions[0].code',
      /overrides institution "ghost", which .*prov\.yaml \(its parent\) does not define/,
    ],
    [
      'a letter template naming an unknown placeholder',
      { 'prov.yaml': `${province}\nletterTemplates:\n  INSURER: { title: 保单, paragraphs: ['{{bidderNmae}}'] }\n` },
      'prov.yaml',
      'letterTemplates.INSURER',
      /bidderNmae/,
    ],
    [
      'a product for a project type the tenant lacks',
      { 'prov.yaml': province.replace('issuance: REVIEWED }', 'issuance: REVIEWED, projectTypes: [SOE_PROCUREMENT] }') },
      'prov.yaml',
      'institutions[0].products[0].projectTypes',
      /SOE_PROCUREMENT/,
    ],
  ])('stop start-up on %s, naming the file, the path and the problem', async (_kind, files, file, path, message) => {
    const problems = await problemsOf(files as Record<string, string>);
    const problem = problems.find((p) => p.file.endsWith(file) && (typeof path === 'string' ? p.path === path : path.test(p.path)));
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toMatch(message);
  });

  it('report every problem of every file at once, one per line', async () => {
    const error = await loadTenants(
      await tenantsDir({ 'a.yaml': province.replace('code: prov', 'code: a').replace('rate: "0.005"', 'rate: "5%"'), 'b.yaml': 'code: b\n' }),
    ).then(
      () => new TenantConfigError([]),
      (e: unknown) => e as TenantConfigError,
    );
    expect(error.message.split('\n').filter((line) => /a\.yaml|b\.yaml/.test(line)).length).toBeGreaterThanOrEqual(3);
  });
});
