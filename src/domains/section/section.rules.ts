import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who sees and manages bid sections.
 * - bidders read every section of their tenant (they choose one to apply for) and register for them;
 * - a tenderee reads its own sections, an agent the sections it manages;
 * - an institution does not list sections: it meets them only through the orders placed with it, where the tenant may
 *   seal their names until the bid opening;
 * - an admin publishes sections and records their events in its own tenant and reads its cities' too.
 */
export const sectionRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    can('read', 'BidSection', { tenantId: tenant.id });
    if (viewer.enterpriseId) can('create', 'SectionRegistration', { tenantId: tenant.id, enterpriseId: viewer.enterpriseId });
  },
  TENDEREE: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can('read', 'BidSection', { tenantId: tenant.id, tendereeId: viewer.enterpriseId });
  },
  AGENT: (can, { viewer, tenant }) => {
    if (viewer.enterpriseId) can('read', 'BidSection', { tenantId: tenant.id, agentId: viewer.enterpriseId });
  },
  ADMIN: (can, { tenant, readableTenantIds }) => {
    can('read', 'BidSection', { tenantId: { in: readableTenantIds } });
    can(['create', 'update'], 'BidSection', { tenantId: tenant.id });
  },
};
