import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NodeByIdDocument,
  PaymentMethodsDocument,
  ProductDocument,
  QuotePremiumDocument,
  TenantCatalogueDocument,
  TenantStatisticsDocument,
  TenantTreeDocument,
  type TenantCatalogueQuery,
} from '../../schema/generated/graphql.ts';
import { graphqlErrors, startTestServer, type TestServer } from '../support/harness.ts';

let server: TestServer;
let xinjiang: TenantCatalogueQuery;
let hunan: TenantCatalogueQuery;
beforeAll(async () => {
  server = await startTestServer();
  xinjiang = await server.client().request(TenantCatalogueDocument, { code: 'xinjiang' });
  hunan = await server.client().request(TenantCatalogueDocument, { code: 'hunan' });
});
afterAll(() => server?.stop());

const HUNAN_CITIES = [
  'changde', 'changsha', 'chenzhou', 'hengyang', 'huaihua', 'loudi', 'shaoyang',
  'xiangtan', 'xiangxi', 'yiyang', 'yongzhou', 'yueyang', 'zhangjiajie', 'zhuzhou',
].map((city) => `hunan-${city}`);

function products(catalogue: TenantCatalogueQuery) {
  return catalogue.tenant.institutionGroups.flatMap((group) => group.institutions.flatMap((institution) => institution.products));
}
function product(catalogue: TenantCatalogueQuery, code: string) {
  const found = products(catalogue).find((p) => p.code === code);
  if (!found) throw new Error(`no product ${code}`);
  return found;
}

describe('the tenant tree', () => {
  it('has Xinjiang, Quzhou and Hunan with its fourteen cities, each naming its parent', async () => {
    const { tenants } = await server.client().request(TenantTreeDocument, {});
    expect(tenants.map((tenant) => tenant.code)).toEqual(['hunan', 'quzhou', 'xinjiang']);
    const province = tenants.find((tenant) => tenant.code === 'hunan')!;
    expect(province.children.map((city) => city.code)).toEqual(HUNAN_CITIES);
    expect(province.children.every((city) => city.parent?.code === 'hunan')).toBe(true);
    expect(province.children.find((city) => city.code === 'hunan-changsha')!.name).toMatch(/长沙/);
  });
});

describe('the catalogue', () => {
  it('groups Xinjiang institutions by kind as the manual lists them', () => {
    const groups = Object.fromEntries(xinjiang.tenant.institutionGroups.map((group) => [group.kind, group]));
    expect(groups.INSURER!.label).toBe('保险机构');
    expect(groups.INSURER!.institutions.map((i) => i.code)).toEqual(
      expect.arrayContaining(['pingan', 'guoren', 'picc', 'sunshine', 'zhonghua', 'dadi', 'chinalife', 'tianan', 'dajia']),
    );
    expect(groups.BANK!.institutions.map((i) => i.code)).toEqual(['abc', 'cib']);
    expect(groups.GUARANTOR!.institutions.map((i) => i.code)).toEqual(['hanhua', 'xjrd', 'fuqiao']);
  });

  it("shows Dajia's testing product with real-time issuance, 0.7 % and a 600 yuan minimum, and the notices of unavailable products", () => {
    expect(product(xinjiang, 'dajia-bid-bond')).toMatchObject({
      rate: '0.007',
      ratePercent: '0.7%',
      minimumPremium: '600.00',
      issuance: 'REAL_TIME',
      status: 'TESTING',
      available: false,
      notice: '测试中,请勿使用!',
      demo: false,
    });
    const tianan = products(xinjiang).find((p) => p.code.startsWith('tianan'))!;
    expect(tianan).toMatchObject({ status: 'PAUSED', available: false, notice: '暂停中,请勿申请' });
    const active = products(xinjiang).filter((p) => p.status === 'ACTIVE');
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((p) => p.available && p.notice === null)).toBe(true);
  });

  it('lets a city override one rate and inherit the rest of the product', async () => {
    const changsha = await server.client().request(TenantCatalogueDocument, { code: 'hunan-changsha' });
    const province = product(hunan, 'hn-demo-insurer-bid-bond');
    const city = product(changsha, 'hn-demo-insurer-bid-bond');
    expect(province.rate).toBe('0.005');
    expect(city.rate).toBe('0.004');
    expect({ ...city, id: undefined, rate: undefined, ratePercent: undefined }).toEqual({
      ...province,
      id: undefined,
      rate: undefined,
      ratePercent: undefined,
    });
    expect(products(changsha).map((p) => p.code)).toEqual(products(hunan).map((p) => p.code));
  });

  it('offers Quzhou construction deposit, guarantee and joint guarantee, but state-owned procurement only deposit and guarantee', async () => {
    const construction = await server.client().request(PaymentMethodsDocument, { code: 'quzhou', projectType: 'CONSTRUCTION' });
    const soe = await server.client().request(PaymentMethodsDocument, { code: 'quzhou', projectType: 'SOE_PROCUREMENT' });
    expect(construction.tenant.paymentMethods).toEqual(['DEPOSIT', 'GUARANTEE', 'JOINT_GUARANTEE']);
    expect(soe.tenant.paymentMethods).toEqual(['DEPOSIT', 'GUARANTEE']);
  });

  it('shows the Quzhou product with its credit-information and e-signing steps', async () => {
    const quzhou = await server.client().request(TenantCatalogueDocument, { code: 'quzhou' });
    expect(products(quzhou).some((p) => p.creditInfoStep && p.eSigningStep)).toBe(true);
  });

  it('refuses payment methods for a project type the tenant does not offer', async () => {
    const offered = new Set(xinjiang.tenant.projectTypes.map((type) => type.type));
    const missing = (['CONSTRUCTION', 'GOVERNMENT_PROCUREMENT', 'SOE_PROCUREMENT', 'OTHER'] as const).find((type) => !offered.has(type))!;
    const [error] = await graphqlErrors(server.client().request(PaymentMethodsDocument, { code: 'xinjiang', projectType: missing }));
    expect(error?.extensions).toMatchObject({ code: 'PROJECT_TYPE_NOT_OFFERED', field: 'projectType' });
  });

  it('reads a product by id only within the tenant of the request', async () => {
    const dajia = product(xinjiang, 'dajia-bid-bond');
    const own = await server.client({ tenant: 'xinjiang' }).request(ProductDocument, { id: dajia.id });
    expect(own.product).toMatchObject({ code: 'dajia-bid-bond', institution: { code: 'dajia' } });
    const [foreign] = await graphqlErrors(server.client({ tenant: 'quzhou' }).request(ProductDocument, { id: dajia.id }));
    expect(foreign?.extensions?.code).toBe('PRODUCT_NOT_FOUND');
    expect((await server.client({ tenant: 'xinjiang' }).request(NodeByIdDocument, { id: dajia.id })).node?.__typename).toBe('Product');
    expect((await server.client({ tenant: 'quzhou' }).request(NodeByIdDocument, { id: dajia.id })).node).toBeNull();
  });
});

describe('premium quotes', () => {
  const quote = (tenant: string, productId: string, amount: string, projectType: 'CONSTRUCTION' | 'GOVERNMENT_PROCUREMENT' = 'CONSTRUCTION') =>
    server.client({ tenant }).request(QuotePremiumDocument, { productId, amount, projectType });

  it('applies the 600 yuan minimum to 0.7 % of 30 000 and charges 0.7 % of 100 000', async () => {
    const id = product(hunan, 'hn-demo-insurer-two-bid-bond').id;
    const small = await quote('hunan', id, '30000');
    expect(small.quotePremium).toMatchObject({ amount: '30000.00', rate: '0.007', calculated: '210.00', minimumPremium: '600.00', premium: '600.00', minimumApplied: true });
    const large = await quote('hunan', id, '100000.00');
    expect(large.quotePremium).toMatchObject({ calculated: '700.00', premium: '700.00', minimumApplied: false });
  });

  it('uses the city rate in a city', async () => {
    const changsha = await server.client().request(TenantCatalogueDocument, { code: 'hunan-changsha' });
    const id = product(changsha, 'hn-demo-insurer-bid-bond').id;
    const { quotePremium } = await quote('hunan-changsha', id, '200000');
    expect(quotePremium).toMatchObject({ rate: '0.004', premium: '800.00' });
  });

  it('refuses a testing or paused product with the notice it shows', async () => {
    const [testing] = await graphqlErrors(quote('xinjiang', product(xinjiang, 'dajia-bid-bond').id, '30000'));
    expect(testing?.extensions).toMatchObject({ code: 'PRODUCT_UNAVAILABLE', notice: '测试中,请勿使用!', field: 'productId' });
    const paused = products(xinjiang).find((p) => p.status === 'PAUSED')!;
    const [error] = await graphqlErrors(quote('xinjiang', paused.id, '30000'));
    expect(error?.extensions).toMatchObject({ code: 'PRODUCT_UNAVAILABLE', notice: '暂停中,请勿申请' });
  });

  it.each([
    ['0', 'AMOUNT_NOT_POSITIVE'],
    ['-100', 'AMOUNT_NOT_POSITIVE'],
    ['30000.123', 'AMOUNT_PRECISION'],
    ['thirty thousand', 'AMOUNT_MALFORMED'],
  ])('refuses the amount %s with %s naming the field', async (amount, code) => {
    const [error] = await graphqlErrors(quote('hunan', product(hunan, 'hn-demo-insurer-two-bid-bond').id, amount));
    expect(error?.extensions).toMatchObject({ code, field: 'amount' });
  });

  it('refuses an amount sent as a JSON number, because floats are not money', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': 'hunan' },
      body: JSON.stringify({
        query: 'query($p: ID!, $a: Decimal!) { quotePremium(productId: $p, amount: $a, projectType: CONSTRUCTION) { premium } }',
        variables: { p: product(hunan, 'hn-demo-insurer-two-bid-bond').id, a: 30000.1 },
      }),
    });
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('AMOUNT_MALFORMED');
  });

  it('refuses an unknown product, a product of another tenant and a missing tenant', async () => {
    const hunanProduct = product(hunan, 'hn-demo-insurer-two-bid-bond').id;
    const [foreign] = await graphqlErrors(quote('xinjiang', hunanProduct, '30000'));
    expect(foreign?.extensions).toMatchObject({ code: 'PRODUCT_NOT_FOUND', field: 'productId' });
    const [unknownTenant] = await graphqlErrors(quote('atlantis', hunanProduct, '30000'));
    expect(unknownTenant?.extensions?.code).toBe('TENANT_NOT_FOUND');
    const [none] = await graphqlErrors(server.client().request(QuotePremiumDocument, { productId: hunanProduct, amount: '1', projectType: 'CONSTRUCTION' }));
    expect(none?.extensions?.code).toBe('TENANT_REQUIRED');
  });
});

describe('home-page statistics', () => {
  it('count only the tenant, and for a province its cities too', async () => {
    const db = server.database.prisma;
    const tenantId = async (code: string) => (await db.tenant.findUniqueOrThrow({ where: { code } })).id;
    const issue = async (code: string, number: string, amount: string, premium: string) => {
      const id = await tenantId(code);
      const productRow = await db.product.findFirstOrThrow({ where: { tenantId: id } });
      await db.guarantee.create({ data: { tenantId: id, institutionId: productRow.institutionId, productId: productRow.id, number, amount, premium } });
    };
    await issue('xinjiang', 'XJ-1', '30000.00', '600.00');
    await issue('hunan', 'HN-1', '100000.00', '700.00');
    await issue('hunan-changsha', 'CS-1', '200000.50', '800.00');
    await issue('hunan-changsha', 'CS-2', '50000', '600');

    const stats = async (code: string) => (await server.client().request(TenantStatisticsDocument, { code })).tenant.statistics;
    expect(await stats('xinjiang')).toMatchObject({ tenantCodes: ['xinjiang'], issuedGuarantees: 1, guaranteedAmount: '30000.00', premiums: '600.00', institutions: 14 });
    expect(await stats('hunan-changsha')).toMatchObject({ tenantCodes: ['hunan-changsha'], issuedGuarantees: 2, guaranteedAmount: '250000.50', premiums: '1400.00' });
    const province = await stats('hunan');
    expect(province.tenantCodes).toEqual(['hunan', ...HUNAN_CITIES]);
    expect(province).toMatchObject({ issuedGuarantees: 3, guaranteedAmount: '350000.50', premiums: '2100.00' });
    expect(province.institutions).toBe(hunan.tenant.institutionGroups.flatMap((g) => g.institutions).length);
    expect(await stats('quzhou')).toMatchObject({ issuedGuarantees: 0, guaranteedAmount: '0.00' });
  });

  it('come with the help-centre contacts', async () => {
    const { tenant } = await server.client().request(TenantStatisticsDocument, { code: 'hunan-changsha' });
    expect(tenant.contacts.length).toBeGreaterThan(0);
  });
});
