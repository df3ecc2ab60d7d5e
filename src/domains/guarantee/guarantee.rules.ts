import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who sees issued guarantees (and may download their letters; the plain letter only once unsealed).
 * - a bidder its own; an institution those it issued; an admin its tenant (a province its cities);
 * - a tenderee, or the agent that manages the section, the guarantees of its sections once the bid opening time has
 *   passed: before opening, who bids on what must not leak.
 */
export const guaranteeRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can('read', 'Guarantee', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
  },
  TENDEREE: (can, { viewer, tenant, now }) => {
    if (viewer.enterpriseId) can('read', 'Guarantee', { tenantId: tenant.id, section: { is: { tendereeId: viewer.enterpriseId, openingAt: { lte: now() } } } });
  },
  AGENT: (can, { viewer, tenant, now }) => {
    if (viewer.enterpriseId) can('read', 'Guarantee', { tenantId: tenant.id, section: { is: { agentId: viewer.enterpriseId, openingAt: { lte: now() } } } });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (viewer.institutionId) can('read', 'Guarantee', { tenantId: tenant.id, institutionId: viewer.institutionId });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Guarantee', { tenantId: { in: readableTenantIds } });
  },
};
