import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on invoices (filled in with the invoice feature). */
export const invoiceRules: DomainRules = {};
