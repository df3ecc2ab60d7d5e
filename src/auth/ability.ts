/**
 * One CASL ability per request, built from the viewer (user or API client), its active role and its tenant. Each
 * domain contributes small per-role rule functions in its `<domain>.rules.ts`; this file only binds CASL to the
 * generated Prisma types and composes them. Lists use {@link accessibleBy} (a `where` merged into the query);
 * single items are checked on the loaded row with `subject(...)`.
 */
import { AbilityBuilder, type Ability } from '@casl/ability';
import {
  accessibleBy as caslAccessibleBy,
  createPrismaAbility,
  type PrismaQueryOf,
  type Subjects,
  type WhereInputOf,
} from '@casl/prisma/runtime';
import type {
  BidSection,
  Cancellation,
  Claim,
  Enterprise,
  Extension,
  Guarantee,
  GuaranteeOrder,
  Invoice,
  Refund,
  Review,
  SectionRegistration,
  Institution,
  InstitutionApiClient,
  Prisma,
  Session,
  User,
} from '../db/generated/prisma/client.ts';
import type { TenantContext, TenantRegistry } from '../tenants/registry.ts';
import { identityRules } from '../domains/identity/identity.rules.ts';
import { cancellationRules } from '../domains/cancellation/cancellation.rules.ts';
import { claimRules } from '../domains/claim/claim.rules.ts';
import { extensionRules } from '../domains/extension/extension.rules.ts';
import { guaranteeRules } from '../domains/guarantee/guarantee.rules.ts';
import { invoiceRules } from '../domains/invoice/invoice.rules.ts';
import { refundRules } from '../domains/refund/refund.rules.ts';
import { reviewRules } from '../domains/review/review.rules.ts';
import { orderRules } from '../domains/order/order.rules.ts';
import { sectionRules } from '../domains/section/section.rules.ts';
import type { Role, Viewer } from './viewer.ts';

/** A where clause no row satisfies. */
const NOTHING = { id: { in: [] as string[] } };

/**
 * The rows `ability` may `action`, as a Prisma where clause to merge into a query (lists are filtered in SQL, never
 * after loading). Where the role has no rule for the model, CASL answers `{ OR: [] }`, which Prisma 7 drops inside an
 * `AND: [...]` list (matching every row): that case becomes a clause that matches nothing.
 */
export function accessibleBy(ability: AppAbility, action: Action = 'read') {
  const records = caslAccessibleBy(ability, action);
  return {
    ofType<M extends SubjectName & Prisma.ModelName>(model: M): WhereInput<M> {
      const where = records.ofType(model) as { OR?: unknown[] };
      return (Array.isArray(where.OR) && where.OR.length === 0 ? NOTHING : where) as WhereInput<M>;
    },
  };
}

export type Action = 'read' | 'create' | 'update' | 'delete';

export type AppSubjects = Subjects<{
  BidSection: BidSection;
  Cancellation: Cancellation;
  Claim: Claim;
  Enterprise: Enterprise;
  Extension: Extension;
  Guarantee: Guarantee;
  GuaranteeOrder: GuaranteeOrder;
  Invoice: Invoice;
  Refund: Refund;
  Review: Review;
  SectionRegistration: SectionRegistration;
  Institution: Institution;
  InstitutionApiClient: InstitutionApiClient;
  Session: Session;
  User: User;
}>;

/** Subject type names, for operation-level checks (`can: { action, subject }` in authScopes). */
export type SubjectName = Extract<AppSubjects, string>;

export type PrismaQuery = PrismaQueryOf<Prisma.TypeMap>;
export type WhereInput<M extends Prisma.ModelName> = WhereInputOf<Prisma.TypeMap, M>;
export type AppAbility = Ability<[Action, AppSubjects | 'all'], PrismaQuery>;

/** What a rule function gets: the viewer and the tenants it may read (its own, plus a province's cities for ADMIN). */
export interface RuleContext {
  viewer: Viewer;
  tenant: TenantContext;
  /** Ids of the tenants this viewer's role may read: its own tenant, and for a province ADMIN its cities too. */
  readableTenantIds: string[];
  /**
   * The time the ability is made at, for a rule that depends on it (sealed until the bid opening). A rule reads the
   * clock only through this (test/unit/ability-cache.test.ts checks the rules' sources): an ability whose rules
   * called it is made for its request alone, the others are shared between requests ({@link abilityFor}).
   */
  now(): Date;
}

export type RuleFunction = (can: AbilityBuilder<AppAbility>['can'], context: RuleContext) => void;

/** A domain's rules: one function per role, and `any` for every authenticated viewer. */
export type DomainRules = Partial<Record<Role | 'any', RuleFunction>>;

/** Every domain's rules. Later domains add theirs here. */
const DOMAIN_RULES: DomainRules[] = [
  identityRules,
  sectionRules,
  orderRules,
  guaranteeRules,
  refundRules,
  extensionRules,
  cancellationRules,
  claimRules,
  invoiceRules,
  reviewRules,
];

/**
 * The ability of one request. Anonymous requests get an empty ability: public operations do not consult it.
 * Every condition the rules write includes a tenant id, so no rule reaches another tenant's rows.
 */
export function defineAbilityFor(viewer: Viewer | undefined, tenants: TenantRegistry): AppAbility {
  return madeAbility(viewer, tenants).ability;
}

/** The ability, and whether a rule read the time to make it. */
function madeAbility(viewer: Viewer | undefined, tenants: TenantRegistry): { ability: AppAbility; readsClock: boolean } {
  const builder = new AbilityBuilder<AppAbility>(createPrismaAbility);
  const tenant = viewer ? tenants.byCode(viewer.tenantCode) : undefined;
  let at: Date | undefined;
  if (viewer && tenant) {
    const readable = viewer.role === 'ADMIN' ? tenants.withDescendants(tenant.code) : [tenant];
    const context: RuleContext = { viewer, tenant, readableTenantIds: readable.map((t) => t.id), now: () => (at ??= new Date()) };
    for (const rules of DOMAIN_RULES) {
      rules.any?.(builder.can, context);
      rules[viewer.role]?.(builder.can, context);
    }
  }
  return { ability: builder.build(), readsClock: at !== undefined };
}

/**
 * The request's ability: {@link defineAbilityFor}, shared between the requests of the same viewer's facts and tenant
 * registry where no rule read the time to make it (issue 9). CASL builds a rule's index and compiles its conditions
 * on each ability the first time it checks them: anew for every request, that was 3 % of a mutation's CPU. Rules are
 * functions of the viewer, the tenant registry and {@link RuleContext.now} alone; an ability made with the time (a
 * tenderee's or an agent's: sealed until opening) is never shared, so it is made for the time of its request. The
 * key is every field of the viewer but its session id (no rule reads it, and each login would otherwise add an
 * ability of about 16 KB once checked): the viewer is read from the session row on every request, so a changed role
 * never meets an ability made before, and a revoked session never gets as far. Nothing changes an ability once built
 * (no `update`). At most {@link MAX_SHARED} per registry, then begun again (a few MB at most).
 */
export function abilityFor(viewer: Viewer | undefined, tenants: TenantRegistry): AppAbility {
  let byViewer = shared.get(tenants);
  if (!byViewer) shared.set(tenants, (byViewer = new Map()));
  const key = viewer === undefined ? '' : JSON.stringify({ ...viewer, sessionId: undefined });
  const known = byViewer.get(key);
  if (known) return known;
  const { ability, readsClock } = madeAbility(viewer, tenants);
  if (!readsClock) {
    if (byViewer.size >= MAX_SHARED) byViewer.clear();
    byViewer.set(key, ability);
  }
  return ability;
}
const MAX_SHARED = 500;
const shared = new WeakMap<TenantRegistry, Map<string, AppAbility>>();
