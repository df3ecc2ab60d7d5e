import { createHash } from 'node:crypto';
import { subject } from '@casl/ability';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { Invoice, InvoiceForm, InvoiceKind, InvoiceStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { lockGuarantee } from '../guarantee/guarantee-states.ts';
import { requireRole, type UploadedFile } from '../order/order.service.ts';
import { checkInvoiceFile, INVOICE_MIME_TYPES } from './invoice-file.ts';
import { ACCOUNT_NUMBER, UUID } from '../common/formats.ts';

/** Tax number (纳税人识别号): 15 to 20 upper-case letters and digits; the 18-character USCC is one of them. */
const TAX_NUMBER = /^[0-9A-Z]{15,20}$/;
/** A mobile, a landline with its area code (029-7774561, extension allowed) or a 400/800 service number. */
const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|[48]00-?\d{3}-?\d{4})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INVOICE_NUMBER = /^[0-9A-Za-z-]{6,40}$/;

/** Guarantee states whose premium may not be invoiced: it is being, or has been, returned. */
const PREMIUM_RETURNED: readonly string[] = ['REFUNDING', 'REFUNDED'];

export type InvoiceAction = 'ISSUE';

/** Every legal move of an invoice (DESIGN.md 5.5): 处理中 → 已开票. */
export const INVOICE_TRANSITIONS: ReadonlyArray<{ from: InvoiceStatus; action: InvoiceAction; to: InvoiceStatus }> = [
  { from: 'PROCESSING', action: 'ISSUE', to: 'ISSUED' },
];

export interface RequestInvoiceInput {
  guaranteeId: string;
  form: InvoiceForm;
  kind: InvoiceKind;
  /** 发票抬头: the buyer's name. */
  title: string;
  taxNumber?: string | null;
  address?: string | null;
  phone?: string | null;
  bank?: string | null;
  bankAccount?: string | null;
  email?: string | null;
  recipientName?: string | null;
  recipientPhone?: string | null;
  recipientAddress?: string | null;
}

/**
 * The bidder asks for the invoice of its own guarantee's premium (amount = the premium).
 *
 * Refuses, in this order: another party's or tenant's guarantee (GUARANTEE_NOT_FOUND); a premium being returned
 * (INVOICE_NOT_ALLOWED); before the bid opening where the tenant's `invoices.afterOpeningOnly` says so
 * (INVOICE_BEFORE_OPENING); a form and kind the tenant does not offer (INVOICE_KIND_NOT_OFFERED); missing or malformed
 * fields (VALIDATION_FAILED and *_MALFORMED codes, naming the field): a special invoice needs title, tax number,
 * address, phone, bank and account; paper needs recipient name, phone and address; electronic needs an email (where
 * the file is sent; a contact phone is optional, stored as `recipientPhone`). A guarantee has at most one invoice in
 * PROCESSING (INVOICE_IN_PROGRESS) and its premium is invoiced once (INVOICE_ALREADY_ISSUED): correcting an issued
 * invoice needs a red-letter reversal, which is the institution's business, not modelled here.
 */
export async function requestInvoice(ctx: Context, input: RequestInvoiceInput): Promise<Invoice> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder asks for an invoice');
  const tenant = ctx.requireTenant();
  const settings = tenant.config.invoices;
  const fields = invoiceFields(input);
  if (!UUID.test(input.guaranteeId)) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    const guarantee = await lockGuarantee(tx, input.guaranteeId, tenant.id);
    if (!guarantee || !ctx.ability.can('read', subject('Guarantee', guarantee))) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    if (!ctx.ability.can('create', subject('Invoice', { tenantId: tenant.id, bidderId: guarantee.bidderId } as Invoice))) throw new ForbiddenError();
    if (PREMIUM_RETURNED.includes(guarantee.status)) {
      throw new AppError('INVOICE_NOT_ALLOWED', `The premium of a guarantee in state ${guarantee.status} is returned: it cannot be invoiced`, 'input.guaranteeId', {
        currentStatus: guarantee.status,
      });
    }
    if (settings.afterOpeningOnly && guarantee.sectionId) {
      const section = await tx.bidSection.findUniqueOrThrow({ where: { id: guarantee.sectionId } });
      if (section.status !== 'OPENED' && section.openingAt.getTime() > Date.now()) {
        throw new AppError('INVOICE_BEFORE_OPENING', `${tenant.name} issues invoices only after the bid opening`, 'input.guaranteeId', {
          openingAt: section.openingAt.toISOString(),
        });
      }
    }
    const offered = input.form === 'ELECTRONIC' ? settings.electronic : settings.paper;
    if (!offered.includes(input.kind)) {
      const label = `${input.form === 'ELECTRONIC' ? 'An electronic' : 'A paper'} invoice`;
      throw new AppError('INVOICE_KIND_NOT_OFFERED', `${label} on ${tenant.name} may be ${offered.join(' or ') || 'nothing'}, not ${input.kind}`, 'input.kind', {
        offered: offered.join(','),
      });
    }
    requireInvoiceFields(input.form, input.kind, fields);
    const earlier = await tx.invoice.findMany({ where: { guaranteeId: guarantee.id }, select: { status: true } });
    if (earlier.some((i) => i.status === 'PROCESSING')) {
      throw new AppError('INVOICE_IN_PROGRESS', 'An invoice for this guarantee is being processed already', 'input.guaranteeId');
    }
    if (earlier.some((i) => i.status === 'ISSUED')) {
      throw new AppError('INVOICE_ALREADY_ISSUED', "This guarantee's premium has been invoiced already", 'input.guaranteeId');
    }
    const invoice = await tx.invoice.create({
      data: {
        tenantId: tenant.id,
        guaranteeId: guarantee.id,
        bidderId: guarantee.bidderId!,
        institutionId: guarantee.institutionId,
        form: input.form,
        kind: input.kind,
        amount: guarantee.premium,
        ...fields,
      },
    });
    await announce(tx, invoice, 'REQUEST', null, viewer.userId);
    return invoice;
  });
}

export interface IssueInvoiceInput {
  invoiceId: string;
  invoiceNumber?: string | null;
  /** Electronic: the invoice itself (pdf, ofd or xml, ≤ 10 MB, checked by content). */
  file?: UploadedFile | null;
  /** Paper: how it was sent. */
  shippingCarrier?: string | null;
  shippingNumber?: string | null;
}

/**
 * The institution issues a PROCESSING invoice of one of its guarantees: an electronic one with its file and number,
 * a paper one with the carrier and tracking number (its number optional). The file and the move to ISSUED commit
 * together.
 */
export async function issueInvoice(ctx: Context, input: IssueInvoiceInput): Promise<Invoice> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution issues invoices');
  const tenant = ctx.requireTenant();
  const invoiceNumber = input.invoiceNumber?.trim() || null;
  if (invoiceNumber && !INVOICE_NUMBER.test(invoiceNumber)) {
    throw new ValidationError('input.invoiceNumber', 'An invoice number is 6 to 40 letters, digits or hyphens', 'INVOICE_NUMBER_MALFORMED');
  }
  if (!UUID.test(input.invoiceId)) throw new NotFoundError('Invoice', 'input.invoiceId', 'INVOICE_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Invoice" WHERE id = ${input.invoiceId}::uuid AND "tenantId" = ${tenant.id}::uuid FOR UPDATE`;
    const invoice = await tx.invoice.findFirst({ where: { id: input.invoiceId, tenantId: tenant.id } });
    if (!invoice || !ctx.ability.can('read', subject('Invoice', invoice))) throw new NotFoundError('Invoice', 'input.invoiceId', 'INVOICE_NOT_FOUND');
    if (!ctx.ability.can('update', subject('Invoice', invoice))) throw new ForbiddenError();
    const transition = INVOICE_TRANSITIONS.find((t) => t.from === invoice.status && t.action === 'ISSUE');
    if (!transition) {
      throw new AppError('ILLEGAL_TRANSITION', `An invoice in state ${invoice.status} cannot be issued`, 'input.invoiceId', { currentStatus: invoice.status, action: 'ISSUE' });
    }
    const data: Prisma.InvoiceUpdateManyMutationInput = { status: transition.to, issuedAt: new Date(), invoiceNumber };
    if (invoice.form === 'ELECTRONIC') {
      if (!input.file) throw new ValidationError('input.file', 'Upload the electronic invoice (pdf, ofd or xml, up to 10 MB)', 'INVOICE_FILE_REQUIRED');
      if (!invoiceNumber) throw new ValidationError('input.invoiceNumber', 'Give the invoice number (发票号码)', 'INVOICE_NUMBER_REQUIRED');
      const kind = checkInvoiceFile(input.file.bytes, 'input.file');
      const file = await tx.storedFile.create({
        data: {
          tenantId: tenant.id,
          kind: 'INVOICE',
          mimeType: INVOICE_MIME_TYPES[kind],
          size: input.file.bytes.length,
          sha256: createHash('sha256').update(input.file.bytes).digest('hex'),
          content: Buffer.from(input.file.bytes),
          ownerUserId: viewer.userId,
        },
      });
      data.fileId = file.id;
    } else {
      if (input.file) throw new ValidationError('input.file', 'A paper invoice is posted: give the carrier and tracking number instead of a file', 'INVOICE_FILE_NOT_EXPECTED');
      const shippingCarrier = required(input.shippingCarrier, 'input.shippingCarrier', 'the carrier (快递公司)', 50);
      const shippingNumber = required(input.shippingNumber, 'input.shippingNumber', 'the tracking number (快递单号)', 50);
      if (!/^[0-9A-Za-z-]{6,40}$/.test(shippingNumber)) {
        throw new ValidationError('input.shippingNumber', 'A tracking number is 6 to 40 letters, digits or hyphens', 'SHIPPING_NUMBER_MALFORMED');
      }
      Object.assign(data, { shippingCarrier, shippingNumber });
    }
    await tx.invoice.updateMany({ where: { id: invoice.id }, data });
    const issued = await tx.invoice.findUniqueOrThrow({ where: { id: invoice.id } });
    await announce(tx, issued, 'ISSUE', invoice.status, viewer.userId);
    return issued;
  });
}

/** The viewer's read filter for invoices (in SQL). */
export function readableInvoices(ctx: Context): Prisma.InvoiceWhereInput {
  return accessibleBy(ctx.ability, 'read').ofType('Invoice');
}

/** The download name of an invoice file, e.g. 发票(25442000000123456789).pdf. */
export function invoiceFileName(invoice: Pick<Invoice, 'invoiceNumber' | 'id'>, mimeType: string): string {
  const extension = Object.entries(INVOICE_MIME_TYPES).find(([, mime]) => mime === mimeType)?.[0] ?? 'bin';
  return `发票(${invoice.invoiceNumber ?? invoice.id}).${extension}`;
}

type InvoiceFields = Pick<
  Invoice,
  'title' | 'taxNumber' | 'address' | 'phone' | 'bank' | 'bankAccount' | 'email' | 'recipientName' | 'recipientPhone' | 'recipientAddress'
>;

/** Trims and normalises what was given and checks its shape; what is required depends on form and kind. */
function invoiceFields(input: RequestInvoiceInput): InvoiceFields {
  const text = (value: string | null | undefined, field: string, max: number) => {
    const trimmed = value?.trim() || null;
    if (trimmed && trimmed.length > max) throw new ValidationError(`input.${field}`, `${field} is longer than ${max} characters`);
    return trimmed;
  };
  const shaped = (value: string | null, field: string, pattern: RegExp, code: string, message: string) => {
    if (value && !pattern.test(value)) throw new ValidationError(`input.${field}`, message, code);
    return value;
  };
  const phoneMessage = 'A phone number is a mobile (11 digits) or a landline with its area code, e.g. 029-7774561';
  return {
    title: text(input.title, 'title', 100) ?? '',
    taxNumber: shaped(text(input.taxNumber, 'taxNumber', 20)?.replace(/\s/g, '').toUpperCase() ?? null, 'taxNumber', TAX_NUMBER, 'TAX_NUMBER_MALFORMED',
      'A tax number (纳税人识别号) is 15 to 20 letters and digits, e.g. the 18-character unified social credit code'),
    address: text(input.address, 'address', 200),
    phone: shaped(text(input.phone, 'phone', 20), 'phone', PHONE, 'PHONE_MALFORMED', phoneMessage),
    bank: text(input.bank, 'bank', 100),
    bankAccount: shaped(text(input.bankAccount, 'bankAccount', 40)?.replace(/\s/g, '') ?? null, 'bankAccount', ACCOUNT_NUMBER, 'ACCOUNT_NUMBER_MALFORMED',
      'A bank account number is 6 to 32 digits'),
    email: shaped(text(input.email, 'email', 254), 'email', EMAIL, 'EMAIL_MALFORMED', 'An email address looks like name@example.com'),
    recipientName: text(input.recipientName, 'recipientName', 50),
    recipientPhone: shaped(text(input.recipientPhone, 'recipientPhone', 20), 'recipientPhone', PHONE, 'PHONE_MALFORMED', phoneMessage),
    recipientAddress: text(input.recipientAddress, 'recipientAddress', 200),
  };
}

const REQUIRED: Record<'ALL' | 'SPECIAL' | 'PAPER' | 'ELECTRONIC', ReadonlyArray<[keyof InvoiceFields, string]>> = {
  ALL: [['title', 'the invoice title (发票抬头, the company name)']],
  SPECIAL: [
    ['taxNumber', 'the tax number (纳税人识别号)'],
    ['address', 'the registered address (注册地址)'],
    ['phone', 'the registered phone (注册电话)'],
    ['bank', 'the bank (开户行)'],
    ['bankAccount', 'the bank account (银行账号)'],
  ],
  PAPER: [
    ['recipientName', 'the recipient (收件人)'],
    ['recipientPhone', "the recipient's phone (收件人手机号)"],
    ['recipientAddress', 'the delivery address (收件地址)'],
  ],
  ELECTRONIC: [['email', 'the email the invoice is sent to (邮箱)']],
};

function requireInvoiceFields(form: InvoiceForm, kind: InvoiceKind, fields: InvoiceFields): void {
  const rows = [...REQUIRED.ALL, ...(kind === 'SPECIAL' ? REQUIRED.SPECIAL : []), ...REQUIRED[form]];
  for (const [field, label] of rows) {
    if (!fields[field]) throw new ValidationError(`input.${field}`, `This invoice (${form} ${kind}) needs ${label}`);
  }
}

function required(value: string | null | undefined, field: string, label: string, max: number): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new ValidationError(field, `Give ${label}`);
  if (trimmed.length > max) throw new ValidationError(field, `${label} is longer than ${max} characters`);
  return trimmed;
}

async function announce(tx: Prisma.TransactionClient, invoice: Invoice, action: string, from: InvoiceStatus | null, actorUserId: string | null) {
  await recordDomainEvent(tx, {
    tenantId: invoice.tenantId,
    type: 'INVOICE_STATUS_CHANGED',
    aggregateType: 'Invoice',
    aggregateId: invoice.id,
    payload: {
      action,
      from,
      to: invoice.status,
      guaranteeId: invoice.guaranteeId,
      bidderId: invoice.bidderId,
      institutionId: invoice.institutionId,
      actorUserId,
    },
  });
}
