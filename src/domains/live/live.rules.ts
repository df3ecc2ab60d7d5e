import { subject } from '@casl/ability';
import type { AppAbility } from '../../auth/ability.ts';
import type { Viewer } from '../../auth/viewer.ts';
import type { Context } from '../../context.ts';
import type { GuaranteeOrder } from '../../db/generated/prisma/client.ts';
import type { PublishedEvent } from '../../events/live.ts';

/**
 * Who receives which live event. Checked for every event at delivery (and for every replayed row), on top of the
 * operation-level scope of each subscription field and the tenant pre-filter of the hub.
 */

/** The tenants whose events may reach this viewer: its own, and for a province admin its cities too (as in ability.ts). */
export function readableTenantIds(ctx: Context): string[] {
  const viewer = ctx.viewer;
  const tenant = viewer ? ctx.tenants.byCode(viewer.tenantCode) : undefined;
  if (!viewer || !tenant) return [];
  return (viewer.role === 'ADMIN' ? ctx.tenants.withDescendants(tenant.code) : [tenant]).map((t) => t.id);
}

/**
 * An order event reaches whoever may read the order: the order rules of CASL, evaluated on the order's tenant,
 * bidder and institution as the event names them. Those three never change on an order, so the answer is the one
 * the loaded row would give, without a query per event and subscriber. The `order` field of the event then loads
 * the row and checks it again.
 */
export function canReceiveOrderEvent(ability: AppAbility, event: PublishedEvent): boolean {
  const { bidderId, institutionId } = event.payload as { bidderId?: unknown; institutionId?: unknown };
  if (typeof bidderId !== 'string' || typeof institutionId !== 'string') return false;
  return ability.can('read', subject('GuaranteeOrder', { tenantId: event.tenantId, bidderId, institutionId } as GuaranteeOrder));
}

/** The parties a refund or claim event names (issue 7 writes them into the payload). */
interface PartyPayload {
  bidderId?: unknown;
  institutionId?: unknown;
  tendereeId?: unknown;
  agentId?: unknown;
}

/**
 * A refund or claim event reaches the parties its payload names, each by its active role (the bidder enterprise,
 * the institution, the section's tenderee or agent), and the admins of its tenant (a province admin: its cities
 * too). Nobody else, and never across tenants.
 */
export function canReceivePartyEvent(viewer: Viewer, readable: readonly string[], event: PublishedEvent): boolean {
  if (!readable.includes(event.tenantId)) return false;
  const payload = event.payload as PartyPayload;
  const named = (value: unknown, id: string | null) => id !== null && typeof value === 'string' && value === id;
  switch (viewer.role) {
    case 'ADMIN':
      return true;
    case 'BIDDER':
      return named(payload.bidderId, viewer.enterpriseId);
    case 'TENDEREE':
      return named(payload.tendereeId, viewer.enterpriseId);
    case 'AGENT':
      return named(payload.agentId, viewer.enterpriseId);
    case 'INSTITUTION':
      return named(payload.institutionId, viewer.institutionId);
    default:
      return false;
  }
}
