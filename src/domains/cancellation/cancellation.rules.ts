import type { DomainRules } from '../../auth/ability.ts';

/** Cancellations: the bidder of the guarantee, the institution that issued it, the admin. */
export const cancellationRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can('read', 'Cancellation', { tenantId: tenant.id, guarantee: { is: { bidderId: viewer.enterpriseId } } });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can('read', 'Cancellation', { tenantId: tenant.id, guarantee: { is: { institutionId: viewer.institutionId } } });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Cancellation', { tenantId: { in: readableTenantIds } });
  },
};
