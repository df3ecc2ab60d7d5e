import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on refunds (filled in with the refund feature). */
export const refundRules: DomainRules = {};
