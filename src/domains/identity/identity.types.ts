import { subject } from '@casl/ability';
import { accessibleBy } from '../../auth/ability.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { builder } from '../../builder.ts';
import { ROLE_ORDER, rolesOf, type LoginResult } from './identity.service.ts';
import { NO_TENANT } from '../common/formats.ts';

/** Matches no row: a tenant filter for a code that names no tenant. */

export const RoleEnum = builder.enumType('Role', {
  description: 'What a user acts as (DESIGN.md 4). A user may hold several in a tenant and switches the active one.',
  values: ROLE_ORDER,
});

export const UserRef = builder.prismaObject('User', {
  description: 'A person, known by mobile number.',
  authScopes: (user, ctx) => ctx.ability.can('read', subject('User', user)),
  fields: (t) => ({
    id: t.exposeID('id'),
    mobile: t.exposeString('mobile'),
    name: t.exposeString('name'),
  }),
});

interface BasicAccountShape {
  accountName: string;
  bank: string;
  accountNumber: string;
}

const BasicAccount = builder.objectRef<BasicAccountShape>('BasicAccount').implement({
  description: "The enterprise's registered bank account (基本户).",
  fields: (t) => ({
    accountName: t.exposeString('accountName'),
    bank: t.exposeString('bank'),
    accountNumber: t.exposeString('accountNumber'),
  }),
});

export const EnterpriseRef = builder.prismaObject('Enterprise', {
  description: 'A bidder, tenderee or agent registered in one tenant, identified by its unified social credit code.',
  // The item layer: rows reach here already filtered by accessibleBy; this re-checks each one.
  authScopes: (enterprise, ctx) => ctx.ability.can('read', subject('Enterprise', enterprise)),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    uscc: t.exposeString('uscc'),
    tenantCode: t.string({ resolve: (enterprise, _, ctx) => ctx.tenants.byId(enterprise.tenantId)?.code ?? '' }),
    basicAccount: t.field({
      type: BasicAccount,
      resolve: (e) => ({ accountName: e.basicAccountName, bank: e.basicAccountBank, accountNumber: e.basicAccountNumber }),
    }),
    openingPermitFile: t.exposeString('openingPermitFile', { nullable: true, description: 'The uploaded account opening permit (开户许可证), if any.' }),
  }),
});

export const MeRef = builder.objectRef<Viewer>('Me').implement({
  description: 'Who is calling: the user (or API client), the tenant, the roles held there and the active one.',
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'Null for an institution API client.',
      resolve: (query, viewer, _, ctx) => (viewer.userId ? ctx.db.user.findUnique({ ...query, where: { id: viewer.userId } }) : null),
    }),
    apiClientId: t.exposeString('apiClientId', { nullable: true }),
    tenant: t.prismaField({
      type: 'Tenant',
      resolve: (query, viewer, _, ctx) => ctx.db.tenant.findUniqueOrThrow({ ...query, where: { id: viewer.tenantId } }),
    }),
    activeRole: t.expose('role', { type: RoleEnum }),
    roles: t.field({ type: [RoleEnum], description: 'Every role held in this tenant.', resolve: (viewer, _, ctx) => rolesOf(ctx, viewer) }),
    enterprise: t.prismaField({
      type: 'Enterprise',
      nullable: true,
      description: 'The enterprise the active role acts for (bidder, tenderee, agent).',
      resolve: (query, viewer, _, ctx) =>
        viewer.enterpriseId ? ctx.db.enterprise.findFirst({ ...query, where: { id: viewer.enterpriseId, tenantId: viewer.tenantId } }) : null,
    }),
    institution: t.prismaField({
      type: 'Institution',
      nullable: true,
      description: 'The institution the active role acts for (INSTITUTION).',
      resolve: (query, viewer, _, ctx) => {
        // The query is built either way: Pothos (in tests) flags a selection no resolver read.
        const find = { ...query, where: { id: viewer.institutionId ?? NO_TENANT, tenantId: viewer.tenantId } };
        return viewer.institutionId ? ctx.db.institution.findFirst(find) : null;
      },
    }),
  }),
});

export const SessionTokenRef = builder.objectRef<LoginResult>('SessionToken').implement({
  description: 'A signed session token. Send it as `authorization: Bearer <token>`; it names user, tenant, active role and session.',
  fields: (t) => ({
    token: t.exposeString('token'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    tenantCode: t.exposeString('tenantCode'),
    activeRole: t.expose('activeRole', { type: RoleEnum }),
    roles: t.expose('roles', { type: [RoleEnum], description: 'Every role held in this tenant; `switchRole` picks another.' }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: MeRef,
    description: 'The caller. Needs a session token or a signed API request.',
    authScopes: { loggedIn: true },
    resolve: (_root, _args, ctx) => ctx.viewer!,
  }),
  enterprises: t.prismaField({
    type: ['Enterprise'],
    description:
      'Enterprises visible to the active role, by name: its own for bidders, tenderees and agents; all of its tenant ' +
      "(and a province's cities) for an admin. `tenantCode` narrows to one tenant.",
    authScopes: { can: { action: 'read', subject: 'Enterprise' } },
    args: { tenantCode: t.arg.string({ required: false }) },
    resolve: (query, _root, { tenantCode }, ctx) =>
      ctx.db.enterprise.findMany({
        ...query,
        where: {
          AND: [
            accessibleBy(ctx.ability, 'read').ofType('Enterprise'),
            tenantCode == null ? {} : { tenantId: ctx.tenants.byCode(tenantCode)?.id ?? NO_TENANT },
          ],
        },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      }),
  }),
}));
