import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who reads and writes reviews (评价). The averages per institution are public (see review.types.ts); single reviews
 * are read by the bidder that wrote them, the institution they rate, and the tenant's admin.
 */
export const reviewRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (!viewer.enterpriseId) return;
    can('read', 'Review', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
    can('create', 'Review', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can('read', 'Review', { tenantId: tenant.id, institutionId: viewer.institutionId });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Review', { tenantId: { in: readableTenantIds } });
  },
};
