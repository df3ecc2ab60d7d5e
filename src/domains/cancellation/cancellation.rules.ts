import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on cancellations (filled in with the cancellation feature). */
export const cancellationRules: DomainRules = {};
