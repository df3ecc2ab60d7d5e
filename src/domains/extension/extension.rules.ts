import type { DomainRules } from '../../auth/ability.ts';

/** Who reads and acts on extensions (filled in with the extension feature). */
export const extensionRules: DomainRules = {};
