import type { DomainRules } from '../../auth/ability.ts';

/**
 * Claims are listed for the tenderee (its own and those on its sections), the agent (likewise for the sections it
 * manages), the bidder (claims on its guarantees), the institution (claims on the guarantees it issued) and the admin.
 */
export const claimRules: DomainRules = {
  TENDEREE: (can, { viewer, tenant }) => {
    if (!viewer.enterpriseId) return;
    can('read', 'Claim', { tenantId: tenant.id, claimantId: viewer.enterpriseId });
    can('read', 'Claim', { tenantId: tenant.id, guarantee: { is: { section: { is: { tendereeId: viewer.enterpriseId } } } } });
  },
  AGENT: (can, { viewer, tenant }) => {
    if (!viewer.enterpriseId) return;
    can('read', 'Claim', { tenantId: tenant.id, claimantId: viewer.enterpriseId });
    can('read', 'Claim', { tenantId: tenant.id, guarantee: { is: { section: { is: { agentId: viewer.enterpriseId } } } } });
  },
  BIDDER: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can('read', 'Claim', { tenantId: tenant.id, guarantee: { is: { bidderId: viewer.enterpriseId } } });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can('read', 'Claim', { tenantId: tenant.id, guarantee: { is: { institutionId: viewer.institutionId } } });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Claim', { tenantId: { in: readableTenantIds } });
  },
};
