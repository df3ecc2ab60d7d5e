import { builder } from '../../builder.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';

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
