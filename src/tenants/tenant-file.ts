import { z } from 'zod';

/**
 * The shape of one file under `tenants/`, after a city's file has been merged over its province's.
 * Everything in which regions differ lives here as data; code reads it and never asks which tenant it is.
 */

const code = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be lower-case letters and digits separated by single hyphens');
const money = z
  .string()
  .regex(/^(0|[1-9]\d*)(\.\d{1,2})?$/, 'must be a decimal amount in yuan with at most two places, written as a string');
const rate = z
  .string()
  .regex(/^0(\.\d{1,6})?$/, 'must be a decimal fraction below 1 with at most six places, written as a string (0.007 is 0.7 %)');

export const ProjectType = z.enum(['CONSTRUCTION', 'GOVERNMENT_PROCUREMENT', 'SOE_PROCUREMENT', 'OTHER']);
export const PaymentMethod = z.enum(['DEPOSIT', 'GUARANTEE', 'JOINT_GUARANTEE']);
export const InstitutionKind = z.enum(['INSURER', 'BANK', 'GUARANTOR']);
export const ProductStatus = z.enum(['ACTIVE', 'PAUSED', 'TESTING']);
export const IssuanceMode = z.enum(['REAL_TIME', 'REVIEWED']);
export const SectionStatus = z.enum(['OPEN', 'SUSPENDED', 'CHANGED', 'FAILED', 'TERMINATED', 'OPENED']);
export const RefundReason = z.enum(['WITHDRAWN', 'SUSPENDED', 'FAILED', 'TERMINATED', 'OTHER']);
export const InvoiceKind = z.enum(['ORDINARY', 'SPECIAL']);
export type ProjectType = z.infer<typeof ProjectType>;
export type PaymentMethod = z.infer<typeof PaymentMethod>;
export type InstitutionKind = z.infer<typeof InstitutionKind>;
export type ProductStatus = z.infer<typeof ProductStatus>;
export type IssuanceMode = z.infer<typeof IssuanceMode>;
export type SectionStatus = z.infer<typeof SectionStatus>;
export type RefundReason = z.infer<typeof RefundReason>;
export type InvoiceKind = z.infer<typeof InvoiceKind>;

const contact = z.strictObject({
  label: z.string().min(1),
  phone: z.string().min(3).optional(),
  email: z.string().email().optional(),
  hours: z.string().optional(),
});

const payee = z.strictObject({
  accountName: z.string().min(1),
  bank: z.string().min(1),
  accountNumber: z.string().regex(/^\d{6,32}$/, 'must be 6 to 32 digits'),
});

const product = z.strictObject({
  code,
  name: z.string().min(1),
  rate,
  minimumPremium: money,
  issuance: IssuanceMode,
  status: ProductStatus.default('ACTIVE'),
  /** Project types the product may be bought for; all of the tenant's when absent. */
  projectTypes: z.array(ProjectType).min(1).optional(),
  /**
   * Project types whose premium must be paid from the enterprise's basic account (Xinjiang 2021: construction). A
   * payment from another account cancels the order and refunds the premium less `serviceFee`.
   */
  basicAccountRequiredFor: z.array(ProjectType).default([]),
  /** Kept by the institution when it cancels and refunds automatically (non-basic-account payment). */
  serviceFee: money.default('0'),
  /** Where the institution runs its own cashier, the bidder pays there instead of by transfer. */
  cashierUrl: z.string().url().optional(),
  /** Extra application steps (Quzhou). */
  creditInfoStep: z.boolean().default(false),
  eSigningStep: z.boolean().default(false),
  /** Only the first order may be verified, e.g. the Industrial Bank line in the Xinjiang manual. */
  remark: z.string().optional(),
  /** True where the manuals give no figure and the file carries a demonstration value. */
  demo: z.boolean().default(false),
});

/** A letter wording: `{{key}}` placeholders name LetterData keys (src/domains/guarantee/letter.ts). */
const letterTemplate = z.strictObject({
  title: z.string().min(1),
  paragraphs: z.array(z.string().min(1)).min(1),
  footer: z.string().optional(),
});

const institution = z.strictObject({
  code,
  name: z.string().min(1),
  shortName: z.string().optional(),
  kind: InstitutionKind,
  uscc: z.string().regex(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/, 'must be an 18-character unified social credit code').optional(),
  payee: payee.optional(),
  hotline: z.string().optional(),
  online: z.boolean().default(true),
  /** This institution's own letter wording, over the tenant's and the default. */
  letterTemplate: letterTemplate.optional(),
  products: z.array(product).default([]),
});

const projectTypeRule = z.strictObject({
  name: z.string().min(1),
  paymentMethods: z.array(PaymentMethod).min(1),
  /** Bid validity periods (days) the bidder may choose for this type (Xinjiang 2021: 投标有效期); free when absent. */
  bidValidityDays: z.array(z.number().int().min(1).max(3650)).min(1).optional(),
});

const refundRule = z.strictObject({
  /** Stable identifier, shown in the refusal reason when this rule is the one that decides. */
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  description: z.string().min(1),
  /** Whether the rule applies before or after the section's opening time. */
  timing: z.enum(['BEFORE_OPENING', 'AFTER_OPENING', 'ANY']),
  /** The bidder's reason must be one of these; any reason when absent. */
  reasons: z.array(RefundReason).min(1).optional(),
  /** The section's status must be one of these; any status when absent. */
  sectionStatuses: z.array(SectionStatus).min(1).optional(),
  /** A bidder who paid by online banking confirms its refund account first. */
  accountConfirmation: z.boolean().default(false),
});

const document = z.strictObject({
  version: z.string().min(1),
  title: z.string().min(1),
  text: z.string().min(1),
});

export const TenantFile = z.strictObject({
  code,
  name: z.string().min(1),
  shortName: z.string().optional(),
  /** A city names its province; its file is merged over the province's file. */
  parent: code.optional(),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  /** Front-end host names (and origins) that belong to this tenant. */
  hosts: z.array(z.string().min(1)).default([]),
  contacts: z.array(contact).default([]),
  orderNumberPrefix: z.string().regex(/^[A-Za-z]{2,20}$/, 'must be 2 to 20 Latin letters'),
  projectTypes: z.partialRecord(ProjectType, projectTypeRule).refine((types) => Object.keys(types).length > 0, 'needs at least one project type'),
  institutions: z.array(institution).default([]),
  orders: z
    .strictObject({
      unpaidTimeoutMinutes: z.number().int().min(1).max(10080).default(1440),
      /** A bidder must register for a section before any payment method is usable (Quzhou). */
      sectionRegistrationRequired: z.boolean().default(false),
      registrationRequiredMessage: z.string().optional(),
    })
    .prefault({}),
  refunds: z
    .strictObject({
      /** Guarantee states in which a refund may be requested at all. */
      guaranteeStates: z.array(z.enum(['EFFECTIVE'])).default(['EFFECTIVE']),
      rules: z.array(refundRule).default([]),
      /** The refusal when no rule allows the refund. */
      otherwise: z.strictObject({ code: z.string().regex(/^[A-Z][A-Z0-9_]*$/), description: z.string().min(1) }),
      /** Notify the bidder of a rejected refund by SMS (Hunan). */
      notifyRejectionBySms: z.boolean().default(false),
    }),
  afterSale: z
    .strictObject({
      extension: z.boolean().default(true),
      cancellation: z.boolean().default(false),
      /** Institution kinds that may not cancel (Hunan 5.3.4: insurers cannot). */
      cancellationExcludedKinds: z.array(InstitutionKind).default([]),
      claim: z.boolean().default(true),
      review: z.boolean().default(true),
      complaint: z.boolean().default(true),
    })
    .prefault({}),
  invoices: z
    .strictObject({
      afterOpeningOnly: z.boolean().default(true),
      electronic: z.array(InvoiceKind).default(['ORDINARY']),
      paper: z.array(InvoiceKind).default(['ORDINARY', 'SPECIAL']),
    })
    .prefault({}),
  sealing: z
    .strictObject({
      /** The letter stays encrypted until the section's opening time. */
      sealUntilOpening: z.boolean().default(true),
      /** Institution-facing views carry section name, code and tenderee sealed until opening. */
      sealApplicationFields: z.boolean().default(false),
      /** File names (under tenants/ca/) of the CA roots whose certificates may log in. */
      trustedCaRoots: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** The tenant's letter wordings per institution kind, over the defaults. */
  letterTemplates: z.partialRecord(InstitutionKind, letterTemplate).optional(),
  documents: z
    .strictObject({
      notice: document,
      terms: document,
    })
    .optional(),
});

export type TenantFile = z.infer<typeof TenantFile>;
export type TenantFileInput = z.input<typeof TenantFile>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
