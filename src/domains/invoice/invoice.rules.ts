import type { DomainRules } from '../../auth/ability.ts';

/**
 * Who reads and acts on invoices (发票):
 * - a bidder asks for invoices of its own guarantees and reads them;
 * - an institution reads and issues the invoices of guarantees it issued;
 * - an admin reads its tenant's (a province its cities').
 */
export const invoiceRules: DomainRules = {
  BIDDER: (can, { viewer, tenant }) => {
    if (!viewer.enterpriseId) return;
    can('read', 'Invoice', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
    can('create', 'Invoice', { tenantId: tenant.id, bidderId: viewer.enterpriseId });
  },
  INSTITUTION: (can, { viewer, tenant }) => {
    if (!viewer.institutionId) return;
    can('read', 'Invoice', { tenantId: tenant.id, institutionId: viewer.institutionId });
    can('update', 'Invoice', { tenantId: tenant.id, institutionId: viewer.institutionId });
  },
  ADMIN: (can, { readableTenantIds }) => {
    can('read', 'Invoice', { tenantId: { in: readableTenantIds } });
  },
};
