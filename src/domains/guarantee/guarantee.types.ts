import { builder } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { GuaranteeStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { sha256Hex, verifyDigestSignature } from '../../crypto/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { readUpload } from '../../files/file.types.ts';
import { formatMoney } from '../catalog/money.ts';
import { GuaranteeOrderRef } from '../order/order.types.ts';
import * as guarantees from './guarantee.service.ts';
import { NO_TENANT } from '../common/formats.ts';

export const GuaranteeStatusEnum = builder.enumType('GuaranteeStatus', {
  description: 'EFFECTIVE 生效中, REFUNDING 退保中, REFUNDED 已退保, CLAIMING 理赔中, CLAIM_PAID 已赔付, CANCELLING 注销中, VOID 已失效, EXPIRED 已过期.',
  values: ['EFFECTIVE', 'REFUNDING', 'REFUNDED', 'CLAIMING', 'CLAIM_PAID', 'CANCELLING', 'VOID', 'EXPIRED'] as const,
});

interface LetterInfo {
  guaranteeId: string;
  orderNumber: string;
  sealed: boolean;
  digest: string;
  signatureValid: boolean;
}

/** The file names the Xinjiang manual shows (1.2.6): 投标保函凭证【正文】(ORDER_NO). */
export function letterFileName(orderNumber: string, sealed: boolean): string {
  return sealed ? `投标保函凭证【密文】(${orderNumber}).sealed` : `投标保函凭证【正文】(${orderNumber}).pdf`;
}

const GuaranteeLetter = builder.objectRef<LetterInfo>('GuaranteeLetter').implement({
  description: 'The letter: sealed (密文) until the bid opening, then plain (明文) with the same digest.',
  fields: (t) => ({
    sealed: t.exposeBoolean('sealed', { description: 'While true only the sealed file and the digest can be had.' }),
    digest: t.exposeString('digest', { description: 'SHA-256 (hex) of the plain PDF, the same before and after unsealing.' }),
    signatureValid: t.exposeBoolean('signatureValid', { description: "Whether the institution's signature over the digest verifies." }),
    fileName: t.string({ resolve: (l) => letterFileName(l.orderNumber, l.sealed) }),
    downloadUrl: t.string({ description: 'The file to show now: sealed before opening, plain after.', resolve: (l) => `/letters/${l.guaranteeId}/${l.sealed ? 'sealed' : 'plain'}` }),
    sealedDownloadUrl: t.string({ nullable: true, resolve: (l) => (l.sealed ? `/letters/${l.guaranteeId}/sealed` : null) }),
    plainDownloadUrl: t.string({ nullable: true, description: 'Null while sealed.', resolve: (l) => (l.sealed ? null : `/letters/${l.guaranteeId}/plain`) }),
  }),
});

export const GuaranteeRef = builder.prismaNode('Guarantee', {
  id: { field: 'id' },
  description: 'An issued guarantee (保函).',
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('Guarantee'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    number: t.exposeString('number'),
    status: t.expose('status', { type: GuaranteeStatusEnum }),
    amount: t.field({ type: 'Decimal', resolve: (g) => formatMoney(g.amount) }),
    premium: t.field({ type: 'Decimal', resolve: (g) => formatMoney(g.premium) }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime' }),
    validFrom: t.expose('validFrom', { type: 'DateTime', nullable: true }),
    validUntil: t.expose('validUntil', { type: 'DateTime', nullable: true }),
    institution: t.relation('institution'),
    product: t.relation('product'),
    order: t.relation('order', { nullable: true, description: 'The order, where the viewer may read it.', query: (_args, ctx) => ({ where: accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder') }) }),
    section: t.relation('section', { nullable: true }),
    letter: t.field({
      type: GuaranteeLetter,
      nullable: true,
      select: { order: { select: { number: true } } },
      resolve: (g) =>
        g.letterDigest
          ? {
              guaranteeId: g.id,
              orderNumber: g.order?.number ?? g.number,
              sealed: g.plainLetterId === null,
              digest: g.letterDigest,
              signatureValid: Boolean(g.signerCertificatePem && g.letterSignature && verifyDigestSignature(g.signerCertificatePem, g.letterDigest, g.letterSignature)),
            }
          : null,
    }),
  }),
});

function guaranteeWhere(ctx: Context, args: { status?: readonly GuaranteeStatus[] | null; search?: string | null }): Prisma.GuaranteeWhereInput {
  const search = args.search?.trim();
  return {
    AND: [
      accessibleBy(ctx.ability, 'read').ofType('Guarantee'),
      { tenantId: ctx.requireTenant().id },
      args.status?.length ? { status: { in: [...args.status] } } : {},
      search ? { OR: [{ number: { contains: search, mode: 'insensitive' } }, { order: { number: { contains: search, mode: 'insensitive' } } }] } : {},
    ],
  };
}

interface VerificationShape {
  valid: boolean;
  reason: string;
  signatureValid: boolean;
  number: string | null;
  institutionName: string | null;
  amount: string | null;
  validFrom: Date | null;
  validUntil: Date | null;
  status: GuaranteeStatus | null;
  sealed: boolean | null;
}

const GuaranteeVerification = builder.objectRef<VerificationShape>('GuaranteeVerification').implement({
  description: 'Whether this platform issued a letter with this number and digest. Never shows the section or the tenderee.',
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    reason: t.exposeString('reason', { description: 'OK, NOT_FOUND, DIGEST_MISMATCH or SIGNATURE_INVALID.' }),
    signatureValid: t.exposeBoolean('signatureValid'),
    number: t.exposeString('number', { nullable: true }),
    institutionName: t.exposeString('institutionName', { nullable: true }),
    amount: t.expose('amount', { type: 'Decimal', nullable: true }),
    validFrom: t.expose('validFrom', { type: 'DateTime', nullable: true }),
    validUntil: t.expose('validUntil', { type: 'DateTime', nullable: true }),
    status: t.expose('status', { type: GuaranteeStatusEnum, nullable: true }),
    sealed: t.exposeBoolean('sealed', { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  guarantees: t.prismaConnection({
    type: 'Guarantee',
    cursor: 'id',
    description: 'Guarantees the viewer may see, newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { status: t.arg({ type: [GuaranteeStatusEnum], required: false }), search: t.arg.string({ required: false }) },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.guarantee.count({ where: guaranteeWhere(ctx, args) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.guarantee.findMany({ ...query, where: guaranteeWhere(ctx, args), orderBy: [{ issuedAt: 'desc' }, { id: 'desc' }] });
    },
  }),
  guarantee: t.prismaField({
    type: 'Guarantee',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [GuaranteeRef] }) },
    resolve: (query, _root, { id }, ctx) => ctx.db.guarantee.findFirst({ ...query, where: { AND: [{ id: id.id }, guaranteeWhere(ctx, {})] } }),
  }),
  verifyGuarantee: t.field({
    type: GuaranteeVerification,
    description: "Anyone may check a letter by number and digest, or by uploading the file, within the request's tenant.",
    authScopes: { public: true },
    args: {
      number: t.arg.string({ required: true }),
      digest: t.arg.string({ required: false, description: 'SHA-256 of the letter, hex.' }),
      file: t.arg({ type: 'File', required: false, description: 'The letter itself, instead of its digest.' }),
    },
    resolve: async (_root, args, ctx) => {
      const tenant = ctx.requireTenant();
      const upload = await readUpload(args.file);
      const digest = upload ? sha256Hex(upload.bytes) : args.digest?.trim().toLowerCase();
      if (!digest) throw new ValidationError('digest', 'Give the letter digest or upload the letter', 'DIGEST_REQUIRED');
      if (!/^[0-9a-f]{64}$/.test(digest)) throw new ValidationError('digest', 'A digest is 64 hexadecimal digits (SHA-256)', 'DIGEST_MALFORMED');
      const result = await guarantees.verifyGuarantee(ctx.db, tenant, args.number, digest);
      const g = result.guarantee;
      const institution = g ? await ctx.db.institution.findUnique({ where: { id: g.institutionId } }) : null;
      return {
        valid: result.valid,
        reason: result.reason,
        signatureValid: result.signatureValid,
        number: g?.number ?? null,
        institutionName: institution?.name ?? null,
        amount: g ? formatMoney(g.amount) : null,
        validFrom: g?.validFrom ?? null,
        validUntil: g?.validUntil ?? null,
        status: g?.status ?? null,
        sealed: g ? g.plainLetterId === null : null,
      };
    },
  }),
}));

const IssueGuaranteeInput = builder.inputType('IssueGuaranteeInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    number: t.string({ required: false, description: "The institution's letter number; generated when absent." }),
    validFrom: t.field({ type: 'DateTime', required: false }),
    validUntil: t.field({ type: 'DateTime', required: false, description: 'Default: opening + bid validity days.' }),
  }),
});

builder.mutationFields((t) => ({
  issueGuarantee: t.prismaField({
    type: 'Guarantee',
    description: 'The institution issues a paid order: the letter is rendered, signed and sealed until the bid opening.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: IssueGuaranteeInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ForbiddenError, AppError], directResult: true, union: { name: 'IssueGuaranteeResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const guarantee = await guarantees.issueGuarantee(ctx, { ...input, orderId: input.orderId.id });
      return ctx.db.guarantee.findUniqueOrThrow({ ...query, where: { id: guarantee.id } });
    },
  }),
}));
