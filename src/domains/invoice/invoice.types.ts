import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { InvoiceStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { readUpload } from '../../files/file.types.ts';
import { InvoiceKind } from '../../tenants/tenant-file.ts';
import { formatMoney } from '../catalog/money.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as invoices from './invoice.service.ts';
import { NO_TENANT } from '../common/formats.ts';

export const InvoiceFormEnum = builder.enumType('InvoiceForm', {
  description: 'ELECTRONIC 电子发票 (a file to download), PAPER 纸质发票 (posted).',
  values: ['ELECTRONIC', 'PAPER'] as const,
});
export const InvoiceKindEnum = builder.enumType('InvoiceKind', {
  description: 'ORDINARY 增值税普通发票, SPECIAL 增值税专用发票. Which kinds each form offers is tenant data.',
  values: InvoiceKind.options,
});
export const InvoiceStatusEnum = builder.enumType('InvoiceStatus', {
  description: 'PROCESSING 处理中, ISSUED 已开票.',
  values: ['PROCESSING', 'ISSUED'] as const,
});

export const InvoiceRef = builder.prismaNode('Invoice', {
  id: { field: 'id' },
  description: "An invoice (发票) for a guarantee's premium.",
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [invoices.readableInvoices(ctx), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    form: t.expose('form', { type: InvoiceFormEnum }),
    kind: t.expose('kind', { type: InvoiceKindEnum }),
    status: t.expose('status', { type: InvoiceStatusEnum }),
    amount: t.field({ type: 'Decimal', description: 'The premium of the guarantee.', resolve: (i) => formatMoney(i.amount) }),
    title: t.exposeString('title', { description: '发票抬头.' }),
    taxNumber: t.exposeString('taxNumber', { nullable: true, description: '纳税人识别号.' }),
    address: t.exposeString('address', { nullable: true }),
    phone: t.exposeString('phone', { nullable: true }),
    bank: t.exposeString('bank', { nullable: true }),
    bankAccount: t.exposeString('bankAccount', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    recipientName: t.exposeString('recipientName', { nullable: true }),
    recipientPhone: t.exposeString('recipientPhone', { nullable: true, description: 'Paper: the recipient; electronic: an optional contact phone.' }),
    recipientAddress: t.exposeString('recipientAddress', { nullable: true }),
    invoiceNumber: t.exposeString('invoiceNumber', { nullable: true }),
    shippingCarrier: t.exposeString('shippingCarrier', { nullable: true }),
    shippingNumber: t.exposeString('shippingNumber', { nullable: true }),
    requestedAt: t.expose('createdAt', { type: 'DateTime' }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime', nullable: true }),
    guarantee: t.relation('guarantee'),
    downloadUrl: t.string({
      nullable: true,
      description: 'GET with the bearer token: the issued electronic invoice. Null until issued, and for paper invoices.',
      resolve: (i) => (i.fileId ? `/invoices/${i.id}/file` : null),
    }),
  }),
});

builder.prismaObjectField(GuaranteeRef, 'invoices', (t) =>
  t.relation('invoices', {
    description: 'Its invoices the viewer may read, oldest first.',
    query: (_args, ctx) => ({ where: invoices.readableInvoices(ctx), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
  }),
);

function invoiceWhere(ctx: Context, args: { status?: readonly InvoiceStatus[] | null }): Prisma.InvoiceWhereInput {
  return {
    AND: [
      invoices.readableInvoices(ctx),
      { tenantId: ctx.requireTenant().id },
      args.status?.length ? { status: { in: [...args.status] } } : {},
    ],
  };
}

builder.queryFields((t) => ({
  invoices: t.prismaConnection({
    type: 'Invoice',
    cursor: 'id',
    description: '我的发票: a bidder its own invoices, an institution those it issues, an admin its tenant. Newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { status: t.arg({ type: [InvoiceStatusEnum], required: false }) },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.invoice.count({ where: invoiceWhere(ctx, args) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.invoice.findMany({ ...query, where: invoiceWhere(ctx, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    },
  }),
  invoice: t.prismaField({
    type: 'Invoice',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [InvoiceRef] }) },
    resolve: (query, _root, { id }, ctx) => ctx.db.invoice.findFirst({ ...query, where: { AND: [{ id: id.id }, invoiceWhere(ctx, {})] } }),
  }),
}));

const RequestInvoiceInput = builder.inputType('RequestInvoiceInput', {
  description:
    'Every invoice needs a title; a SPECIAL one also tax number, address, phone, bank and account; a PAPER one a recipient, ' +
    'phone and address; an ELECTRONIC one the email it is sent to.',
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    form: t.field({ type: InvoiceFormEnum, required: true }),
    kind: t.field({ type: InvoiceKindEnum, required: true }),
    title: t.string({ required: true, description: '发票抬头: the company name.' }),
    taxNumber: t.string({ required: false, description: '纳税人识别号: 15 to 20 letters and digits (the USCC for most companies).' }),
    address: t.string({ required: false, description: 'Registered address (注册地址).' }),
    phone: t.string({ required: false, description: 'Registered phone (注册电话): mobile or landline with area code.' }),
    bank: t.string({ required: false, description: '开户行.' }),
    bankAccount: t.string({ required: false, description: '银行账号.' }),
    email: t.string({ required: false, description: 'Where an electronic invoice is sent.' }),
    recipientName: t.string({ required: false, description: '收件人 (paper).' }),
    recipientPhone: t.string({ required: false, description: '收件人手机号 (paper); a contact phone for electronic invoices.' }),
    recipientAddress: t.string({ required: false, description: '收件地址 (paper).' }),
  }),
});

const IssueInvoiceInput = builder.inputType('IssueInvoiceInput', {
  fields: (t) => ({
    invoiceId: t.globalID({ required: true, for: [InvoiceRef] }),
    invoiceNumber: t.string({ required: false, description: '发票号码; required for electronic invoices.' }),
    file: t.field({ type: 'File', required: false, description: 'Electronic: the invoice, pdf, ofd or xml up to 10 MB (checked by content).' }),
    shippingCarrier: t.string({ required: false, description: 'Paper: the carrier (快递公司).' }),
    shippingNumber: t.string({ required: false, description: 'Paper: the tracking number (快递单号).' }),
  }),
});

const InvoiceErrors = [ValidationError, NotFoundError, ForbiddenError, AppError];

builder.mutationFields((t) => ({
  requestInvoice: t.prismaField({
    type: 'Invoice',
    description: "The bidder asks for the invoice of its guarantee's premium (where the tenant says so, only after the bid opening).",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RequestInvoiceInput, required: true }) },
    errors: { types: InvoiceErrors, directResult: true, union: { name: 'RequestInvoiceResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const invoice = await invoices.requestInvoice(ctx, { ...input, guaranteeId: input.guaranteeId.id });
      return ctx.db.invoice.findUniqueOrThrow({ ...query, where: { id: invoice.id } });
    },
  }),
  issueInvoice: t.prismaField({
    type: 'Invoice',
    description: 'The institution issues an invoice: the electronic file and its number, or the shipping details of a paper one.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: IssueInvoiceInput, required: true }) },
    errors: { types: InvoiceErrors, directResult: true, union: { name: 'IssueInvoiceResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const invoice = await invoices.issueInvoice(ctx, { ...input, invoiceId: input.invoiceId.id, file: await readUpload(input.file) });
      return ctx.db.invoice.findUniqueOrThrow({ ...query, where: { id: invoice.id } });
    },
  }),
}));
