import type { RefundReason, SectionStatus, TenantFile } from '../../tenants/tenant-file.ts';

export interface RefundSituation {
  guaranteeStatus: string;
  /** The section's opening time has passed (or an admin recorded OPENED). */
  opened: boolean;
  sectionStatus: SectionStatus;
  /** The bidder's reason; absent when asking whether a refund could be possible at all. */
  reason?: RefundReason;
}

export type RefundDecision =
  | { allowed: true; ruleCode: string; description: string; accountConfirmation: boolean }
  | { allowed: false; ruleCode: string; description: string };

/**
 * The tenant's refund rules (DESIGN.md 5.3), evaluated in file order: the first rule whose timing, reasons and
 * section statuses all match allows the refund; when none does, the tenant's `otherwise` rule is the refusal. A
 * guarantee that is not in one of `guaranteeStates` is refused by the same `otherwise` rule. Without a `reason`, the
 * answer is whether some reason could make the refund possible now (to show or hide the button).
 */
export function evaluateRefund(rules: TenantFile['refunds'], situation: RefundSituation): RefundDecision {
  const refusal = { allowed: false as const, ruleCode: rules.otherwise.code, description: rules.otherwise.description };
  if (!(rules.guaranteeStates as readonly string[]).includes(situation.guaranteeStatus)) {
    return { ...refusal, description: `${rules.otherwise.description}（保函状态：${situation.guaranteeStatus}）` };
  }
  for (const rule of rules.rules) {
    if (rule.timing === 'BEFORE_OPENING' && situation.opened) continue;
    if (rule.timing === 'AFTER_OPENING' && !situation.opened) continue;
    if (rule.sectionStatuses && !rule.sectionStatuses.includes(situation.sectionStatus)) continue;
    if (rule.reasons && situation.reason && !rule.reasons.includes(situation.reason)) continue;
    return { allowed: true, ruleCode: rule.code, description: rule.description, accountConfirmation: rule.accountConfirmation };
  }
  return refusal;
}
