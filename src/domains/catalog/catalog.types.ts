import { GraphQLError, Kind } from 'graphql';
import { builder } from '../../builder.ts';
import { AppError, NotFoundError } from '../../errors.ts';
import type { TenantContext } from '../../tenants/registry.ts';
import { InstitutionKind, IssuanceMode, PaymentMethod, ProductStatus, ProjectType } from '../../tenants/tenant-file.ts';
import { formatMoney, parseAmount, quotePremium, type Decimal, type PremiumQuote } from './money.ts';
import { assertProductAvailable, productConfig, productNotice, ProductUnavailableError, requireProjectType } from './catalog.service.ts';
import { ErrorInterface } from '../common/common.types.ts';
import { NO_TENANT } from '../common/formats.ts';

builder.objectType(ProductUnavailableError, {
  name: 'ProductUnavailableError',
  description: 'The product may not be applied for now (paused, testing or retired).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ProductUnavailableError,
  fields: (t) => ({
    notice: t.string({ description: 'What the platform shows on the product, e.g. "暂停中,请勿申请".', resolve: (e) => String(e.details?.notice ?? '') }),
  }),
});

builder.scalarType('Decimal', {
  description:
    'An exact decimal number written as a string, never a float. Money is yuan with two places ("600.00"); rates are fractions ("0.007" is 0.7 %).',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string') {
      throw new GraphQLError('Decimal values are strings such as "30000.00", never JSON numbers', { extensions: { code: 'AMOUNT_MALFORMED' } });
    }
    return value;
  },
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) {
      throw new GraphQLError('Decimal values are strings such as "30000.00", never numbers', { extensions: { code: 'AMOUNT_MALFORMED' } });
    }
    return node.value;
  },
});

export const ProjectTypeEnum = builder.enumType('ProjectType', {
  description: 'A category of project; it decides fees, payment rules and payment methods (项目类型).',
  values: ProjectType.options,
});
export const PaymentMethodEnum = builder.enumType('PaymentMethod', {
  description: 'How a bidder secures its bid: DEPOSIT 保证金, GUARANTEE 保函, JOINT_GUARANTEE 联保金.',
  values: PaymentMethod.options,
});
export const InstitutionKindEnum = builder.enumType('InstitutionKind', {
  description: 'INSURER 保险机构, BANK 银行, GUARANTOR 担保公司.',
  values: InstitutionKind.options,
});
export const ProductStatusEnum = builder.enumType('ProductStatus', {
  description: 'ACTIVE may be applied for; PAUSED 暂停中 and TESTING 测试中 may not.',
  values: ProductStatus.options,
});
export const IssuanceModeEnum = builder.enumType('IssuanceMode', {
  description: 'REAL_TIME issues at payment without a person (实时出函); REVIEWED waits for the institution.',
  values: IssuanceMode.options,
});

const KIND_LABELS: Record<InstitutionKind, string> = { INSURER: '保险机构', BANK: '银行机构', GUARANTOR: '担保机构' };

/** The columns every institution object carries; orders load them joined. */
export const INSTITUTION_SELECT = { id: true, code: true, name: true } as const;

export const InstitutionRef = builder.prismaNode('Institution', {
  id: { field: 'id' },
  description: 'An institution that issues guarantees in this tenant (出函机构).',
  // Public like the whole catalogue, so no type-level scope: one would run for every field of every institution a
  // list shows. The fields that lead here carry the scopes.
  // Select mode: what lists show is selected with the type and read by plain resolvers (see GuaranteeOrder).
  select: INSTITUTION_SELECT,
  nullable: true,
  // Within the request's tenant only: another tenant's id resolves to null, as if it did not exist.
  findUnique: (id, ctx) => ({ id, tenantId: ctx.tenant?.id ?? NO_TENANT }),
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: InstitutionKindEnum }),
    online: t.exposeBoolean('online'),
    products: t.relation('products', {
      description: 'Its products in this tenant, in the order the platform lists them.',
      query: { where: { retiredAt: null }, orderBy: { position: 'asc' } },
    }),
  }),
});

/** The columns every product object carries (what productConfig and the notice read); orders load them joined. */
export const PRODUCT_SELECT = { id: true, tenantId: true, code: true, name: true, status: true, retiredAt: true, issuance: true } as const;

export const ProductRef = builder.prismaNode('Product', {
  id: { field: 'id' },
  description: 'A guarantee product (金融产品): its rate, minimum premium, issuance mode and status.',
  // Public, like Institution: no type-level scope.
  // Select mode: the columns the tenant-file lookups (productConfig) and the notice read; the Decimals by their fields.
  select: PRODUCT_SELECT,
  nullable: true,
  // Within the request's tenant only: another tenant's id resolves to null, as if it did not exist.
  findUnique: (id, ctx) => ({ id, tenantId: ctx.tenant?.id ?? NO_TENANT }),
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    institution: t.relation('institution'),
    rate: t.field({ type: 'Decimal', description: 'The premium rate as a fraction: "0.007" is 0.7 %.', select: { rate: true }, resolve: (p) => p.rate.toString() }),
    ratePercent: t.string({ description: 'The rate as the platforms print it, e.g. "0.7%".', select: { rate: true }, resolve: (p) => `${p.rate.mul(100).toString()}%` }),
    minimumPremium: t.field({ type: 'Decimal', select: { minimumPremium: true }, resolve: (p) => formatMoney(p.minimumPremium) }),
    issuance: t.expose('issuance', { type: IssuanceModeEnum }),
    status: t.expose('status', { type: ProductStatusEnum }),
    available: t.boolean({ description: 'Whether a bidder may apply for it now.', resolve: (p) => p.status === 'ACTIVE' && p.retiredAt === null }),
    notice: t.string({
      nullable: true,
      description: 'What a front end shows on a product that may not be applied for ("暂停中,请勿申请", "测试中,请勿使用!").',
      resolve: (p) => productNotice(p),
    }),
    remark: t.string({ nullable: true, resolve: (p, _, ctx) => productConfig(ctx, p)?.remark ?? null }),
    projectTypes: t.field({
      type: [ProjectTypeEnum],
      description: 'Project types it may be bought for.',
      resolve: (p, _, ctx) => productConfig(ctx, p)?.projectTypes ?? (Object.keys(tenantOf(ctx, p.tenantId)?.config.projectTypes ?? {}) as ProjectType[]),
    }),
    basicAccountRequiredFor: t.field({
      type: [ProjectTypeEnum],
      description: 'Project types whose premium must be paid from the enterprise basic account (基本户).',
      resolve: (p, _, ctx) => productConfig(ctx, p)?.basicAccountRequiredFor ?? [],
    }),
    serviceFee: t.field({
      type: 'Decimal',
      description: 'Kept by the institution when it cancels and refunds automatically.',
      resolve: (p, _, ctx) => formatMoney(productConfig(ctx, p)?.serviceFee ?? '0'),
    }),
    creditInfoStep: t.boolean({ resolve: (p, _, ctx) => productConfig(ctx, p)?.creditInfoStep ?? false }),
    eSigningStep: t.boolean({ resolve: (p, _, ctx) => productConfig(ctx, p)?.eSigningStep ?? false }),
    cashierUrl: t.string({ nullable: true, resolve: (p, _, ctx) => productConfig(ctx, p)?.cashierUrl ?? null }),
    demo: t.boolean({
      description: 'True where the manuals give no figure and the tenant file carries a demonstration value.',
      resolve: (p, _, ctx) => productConfig(ctx, p)?.demo ?? false,
    }),
  }),
});

function tenantOf(ctx: { tenants: { byId(id: string): TenantContext | undefined } }, id: string) {
  return ctx.tenants.byId(id);
}

export const InstitutionGroup = builder.objectRef<{ kind: InstitutionKind; tenantId: string; projectType: ProjectType | null }>('InstitutionGroup').implement({
  description: 'Institutions of one kind, as the platforms show them in tabs (保险 / 银行 / 担保).',
  fields: (t) => ({
    kind: t.expose('kind', { type: InstitutionKindEnum }),
    label: t.string({ resolve: (group) => KIND_LABELS[group.kind] }),
    institutions: t.prismaField({
      type: ['Institution'],
      resolve: (query, group, _, ctx) =>
        ctx.db.institution.findMany({
          ...query,
          where: { tenantId: group.tenantId, kind: group.kind, retiredAt: null },
          orderBy: { position: 'asc' },
        }),
    }),
  }),
});

const QuoteRef = builder.objectRef<PremiumQuote & { productId: string }>('PremiumQuote').implement({
  description: 'A premium quote: max(amount × rate, minimum premium), yuan to two places.',
  fields: (t) => ({
    product: t.prismaField({
      type: 'Product',
      resolve: (query, quote, _, ctx) => ctx.db.product.findUniqueOrThrow({ ...query, where: { id: quote.productId } }),
    }),
    amount: t.field({ type: 'Decimal', resolve: (q) => formatMoney(q.amount) }),
    rate: t.field({ type: 'Decimal', resolve: (q) => q.rate.toString() }),
    calculated: t.field({ type: 'Decimal', description: 'amount × rate, before the minimum.', resolve: (q) => formatMoney(q.calculated) }),
    minimumPremium: t.field({ type: 'Decimal', resolve: (q) => formatMoney(q.minimumPremium) }),
    premium: t.field({ type: 'Decimal', description: 'What the bidder pays.', resolve: (q) => formatMoney(q.premium) }),
    minimumApplied: t.exposeBoolean('minimumApplied'),
  }),
});

builder.queryFields((t) => ({
  product: t.prismaField({
    type: 'Product',
    description: "One product of the request's tenant, by its global id.",
    authScopes: { public: true },
    args: { id: t.arg.globalID({ required: true, for: [ProductRef] }) },
    resolve: async (query, _root, { id }, ctx) => {
      const tenant = ctx.requireTenant();
      const product = await ctx.db.product.findFirst({ ...query, where: { id: id.id, tenantId: tenant.id } });
      if (!product) throw new NotFoundError('Product', 'id', 'PRODUCT_NOT_FOUND');
      return product;
    },
  }),
  quotePremium: t.field({
    type: QuoteRef,
    description: 'The premium a bidder would pay for a product, a guaranteed amount and a project type.',
    authScopes: { public: true },
    args: {
      productId: t.arg.globalID({ required: true, for: [ProductRef] }),
      amount: t.arg({ type: 'Decimal', required: true, description: 'The guaranteed amount (担保金额) in yuan.' }),
      projectType: t.arg({ type: ProjectTypeEnum, required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const tenant = ctx.requireTenant();
      const amount: Decimal = parseAmount(args.amount, 'amount');
      requireProjectType(tenant, args.projectType, 'projectType');
      const product = await ctx.db.product.findFirst({ where: { id: args.productId.id, tenantId: tenant.id } });
      if (!product) throw new NotFoundError('Product', 'productId', 'PRODUCT_NOT_FOUND');
      assertProductAvailable(product);
      const config = productConfig(ctx, product);
      if (config?.projectTypes && !config.projectTypes.includes(args.projectType)) {
        throw new AppError('PRODUCT_NOT_FOR_PROJECT_TYPE', `${product.name} is not offered for ${args.projectType} projects`, 'projectType');
      }
      return { ...quotePremium(amount, product.rate, product.minimumPremium), productId: product.id };
    },
  }),
}));
