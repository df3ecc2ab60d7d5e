import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import type { ProjectType, TenantFile } from '../../tenants/tenant-file.ts';
import { InstitutionGroup, InstitutionKindEnum, PaymentMethodEnum, ProjectTypeEnum } from '../catalog/catalog.types.ts';
import { requireProjectType } from '../catalog/catalog.service.ts';
import { formatMoney } from '../catalog/money.ts';

function configOf(ctx: Context, code: string): TenantFile {
  return ctx.tenants.byCode(code)!.config;
}

const ProjectTypeOption = builder
  .objectRef<NonNullable<TenantFile['projectTypes'][ProjectType]> & { type: ProjectType }>('ProjectTypeOption')
  .implement({
    description: 'A project type this platform offers (项目类型) and the payment methods open to it.',
    fields: (t) => ({
      type: t.expose('type', { type: ProjectTypeEnum }),
      name: t.exposeString('name'),
      paymentMethods: t.expose('paymentMethods', { type: [PaymentMethodEnum] }),
      bidValidityDays: t.intList({ description: 'The bid validity choices in days (投标有效期).', resolve: (o) => o.bidValidityDays ?? [] }),
    }),
  });

interface Statistics {
  tenantCodes: string[];
  institutions: number;
  products: number;
  issuedGuarantees: number;
  guaranteedAmount: string;
  premiums: string;
}

const TenantStatistics = builder.objectRef<Statistics>('TenantStatistics').implement({
  description: 'What a platform home page shows: its catalogue and the guarantees issued through it.',
  fields: (t) => ({
    tenantCodes: t.exposeStringList('tenantCodes', { description: 'The tenants counted: the tenant and, for a province, its cities.' }),
    institutions: t.exposeInt('institutions', { description: 'Distinct institutions listed.' }),
    products: t.exposeInt('products', { description: 'Distinct products listed.' }),
    issuedGuarantees: t.exposeInt('issuedGuarantees'),
    guaranteedAmount: t.expose('guaranteedAmount', { type: 'Decimal', description: 'Total guaranteed amount, yuan.' }),
    premiums: t.expose('premiums', { type: 'Decimal', description: 'Total premiums, yuan.' }),
  }),
});

async function tenantStatistics(ctx: Context, code: string): Promise<Statistics> {
  const tenants = ctx.tenants.withDescendants(code);
  const tenantId = { in: tenants.map((tenant) => tenant.id) };
  const [institutions, products, guarantees] = await Promise.all([
    ctx.db.institution.findMany({ where: { tenantId, retiredAt: null }, distinct: ['code'], select: { code: true } }),
    ctx.db.product.findMany({ where: { tenantId, retiredAt: null }, distinct: ['code'], select: { code: true } }),
    ctx.db.guarantee.aggregate({ where: { tenantId }, _count: { _all: true }, _sum: { amount: true, premium: true } }),
  ]);
  return {
    tenantCodes: tenants.map((tenant) => tenant.code),
    institutions: institutions.length,
    products: products.length,
    issuedGuarantees: guarantees._count._all,
    guaranteedAmount: formatMoney(guarantees._sum.amount ?? 0),
    premiums: formatMoney(guarantees._sum.premium ?? 0),
  };
}

const TENANT_CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

interface ContactShape {
  label: string;
  phone?: string;
  email?: string;
  hours?: string;
}

export const Contact = builder.objectRef<ContactShape>('Contact').implement({
  description: 'A help-centre line of a platform.',
  fields: (t) => ({
    label: t.exposeString('label'),
    phone: t.exposeString('phone', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    hours: t.exposeString('hours', { nullable: true }),
  }),
});

export const TenantRef = builder.prismaNode('Tenant', {
  id: { field: 'id' },
  description: 'A regional platform. A province lists its cities as children; a city names its parent.',
  authScopes: { public: true },
  fields: (t) => ({
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    shortName: t.string({ nullable: true, resolve: (tenant, _, ctx) => ctx.tenants.byCode(tenant.code)?.config.shortName ?? null }),
    timeZone: t.exposeString('timeZone'),
    parent: t.relation('parent', { nullable: true }),
    children: t.relation('children', { query: { orderBy: { code: 'asc' } } }),
    projectTypes: t.field({
      type: [ProjectTypeOption],
      description: 'The project types this platform offers, each with its payment methods.',
      resolve: (tenant, _, ctx) =>
        Object.entries(configOf(ctx, tenant.code).projectTypes).map(([type, settings]) => ({ type: type as ProjectType, ...settings! })),
    }),
    paymentMethods: t.field({
      type: [PaymentMethodEnum],
      description: 'How a bidder may secure a bid of this project type here (Quzhou: construction adds JOINT_GUARANTEE).',
      args: { projectType: t.arg({ type: ProjectTypeEnum, required: true }) },
      resolve: (tenant, { projectType }, ctx) => requireProjectType(ctx.tenants.byCode(tenant.code)!, projectType, 'projectType').paymentMethods,
    }),
    institutionGroups: t.field({
      type: [InstitutionGroup],
      description: 'Institutions grouped by kind (insurers, banks, guarantee companies), kinds without institutions left out.',
      resolve: (tenant, _, ctx) => {
        const kinds = new Set(configOf(ctx, tenant.code).institutions.map((institution) => institution.kind));
        return (['INSURER', 'BANK', 'GUARANTOR'] as const).filter((kind) => kinds.has(kind)).map((kind) => ({ kind, tenantId: tenant.id, projectType: null }));
      },
    }),
    institutions: t.prismaField({
      type: ['Institution'],
      description: 'Institutions of this platform, optionally of one kind, in the order the platform lists them.',
      args: { kind: t.arg({ type: InstitutionKindEnum, required: false }) },
      resolve: (query, tenant, { kind }, ctx) =>
        ctx.db.institution.findMany({ ...query, where: { tenantId: tenant.id, retiredAt: null, ...(kind ? { kind } : {}) }, orderBy: { position: 'asc' } }),
    }),
    statistics: t.field({
      type: TenantStatistics,
      description: 'Home-page figures (首页保函服务数据). A province includes its cities.',
      resolve: (tenant, _, ctx) => tenantStatistics(ctx, tenant.code),
    }),
    contacts: t.field({
      type: [Contact],
      description: 'Help-centre contacts.',
      resolve: (tenant, _, ctx) => ctx.tenants.byCode(tenant.code)?.config.contacts ?? [],
    }),
  }),
});

builder.queryFields((t) => ({
  tenants: t.prismaField({
    type: ['Tenant'],
    description: 'Every platform, provinces and their cities alike, ordered by code. `roots: true` lists only the top level.',
    authScopes: { public: true },
    args: { roots: t.arg.boolean({ defaultValue: false }) },
    resolve: (query, _root, { roots }, ctx) =>
      ctx.db.tenant.findMany({
        ...query,
        where: { code: { in: ctx.tenants.all().map((tenant) => tenant.code) }, ...(roots ? { parentId: null } : {}) },
        orderBy: { code: 'asc' },
      }),
  }),
  tenant: t.prismaField({
    type: 'Tenant',
    description: 'One platform by its code; the tenant of the request when no code is given.',
    authScopes: { public: true },
    args: { code: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const code = args.code ?? ctx.requireTenant().code;
      if (!TENANT_CODE.test(code)) throw new ValidationError('code', 'A tenant code is lower-case letters, digits and hyphens', 'TENANT_CODE_MALFORMED');
      if (!ctx.tenants.byCode(code)) throw new NotFoundError(`Tenant "${code}"`, 'code', 'TENANT_NOT_FOUND');
      return ctx.db.tenant.findUniqueOrThrow({ ...query, where: { code } });
    },
  }),
}));
