import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who sees and moves guarantee orders.
 * - a bidder reads and acts on its enterprise's orders (create, submit, abandon);
 * - an institution reads and acts on the orders placed with it (review, confirm payment, issue);
 * - an admin reads the orders of its tenant and of a province's cities;
 * - tenderees and agents never see orders: they see guarantees, after opening.
 */
export const orderRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can(['create', 'read', 'update'], 'GuaranteeOrder', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can(['read', 'update'], 'GuaranteeOrder', { tenantId: tenant.id, institutionId: viewer.institutionId });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'GuaranteeOrder', { tenantId: { in: readableTenantIds } });
  },
};
