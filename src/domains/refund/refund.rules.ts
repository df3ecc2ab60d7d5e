import type { DomainRules } from '../../auth/ability.ts';

/** Refunds: the bidder its own, the institution those of its guarantees (it decides them), the admin its tenant. */
export const refundRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can(['read', 'update'], 'Refund', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can(['read', 'update'], 'Refund', { tenantId: tenant.id, institutionId: viewer.institutionId });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Refund', { tenantId: { in: readableTenantIds } });
  },
};
