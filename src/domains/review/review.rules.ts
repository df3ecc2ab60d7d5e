import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on reviews (filled in with the review feature). */
export const reviewRules: DomainRules = {};
