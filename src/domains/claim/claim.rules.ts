import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on claims (filled in with the claim feature). */
export const claimRules: DomainRules = {};
