import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who may see and do what with users, enterprises, sessions and API clients.
 * - every user reads itself and ends or switches its own sessions;
 * - enterprise roles read the enterprise they act for;
 * - an institution reads its own institution row;
 * - an admin reads the enterprises of its tenant (and of a province's cities) and issues API clients to its own
 *   tenant's institutions.
 */
export const identityRules: DomainRules = {
  any: (can, { viewer, tenant }) => {
    if (viewer.userId) {
      can('read', 'User', { id: viewer.userId });
      can(['update', 'delete'], 'Session', { userId: viewer.userId, tenantId: tenant.id });
    }
  },
  BIDDER: (can, context) => ownEnterprise(can, context),
  TENDEREE: (can, context) => ownEnterprise(can, context),
  AGENT: (can, context) => ownEnterprise(can, context),
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can('read', 'Institution', { id: viewer.institutionId, tenantId: tenant.id });
  },
  ADMIN: (can, { tenant, readableTenantIds }) => {
    can('read', 'Enterprise', { tenantId: { in: readableTenantIds } });
    can('read', 'Institution', { tenantId: { in: readableTenantIds } });
    can('create', 'InstitutionApiClient', { tenantId: tenant.id });
  },
};

function ownEnterprise(can: Parameters<NonNullable<DomainRules['any']>>[0], { viewer, tenant }: Parameters<NonNullable<DomainRules['any']>>[1]) {
  if (viewer.enterpriseId) can('read', 'Enterprise', { id: viewer.enterpriseId, tenantId: tenant.id });
}
