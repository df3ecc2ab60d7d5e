import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who reads and acts on extensions (延期). An extension names only its guarantee, so the party conditions go through
 * it: the bidder of the guarantee asks and reads, its institution reads and decides, the admin reads its tenant's.
 */
export const extensionRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (!viewer.enterpriseId) return;
    can('read', 'Extension', { tenantId: tenant.id, guarantee: { is: { bidderId: viewer.enterpriseId } } });
    can('create', 'Extension', { tenantId: tenant.id, guarantee: { is: { bidderId: viewer.enterpriseId } } });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (!viewer.institutionId) return;
    can('read', 'Extension', { tenantId: tenant.id, guarantee: { is: { institutionId: viewer.institutionId } } });
    can('update', 'Extension', { tenantId: tenant.id, guarantee: { is: { institutionId: viewer.institutionId } } });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Extension', { tenantId: { in: readableTenantIds } });
  },
};
