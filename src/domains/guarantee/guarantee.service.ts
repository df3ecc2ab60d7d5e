import { randomInt } from 'node:crypto';
import type { Context } from '../../context.ts';
import type { Guarantee, GuaranteeOrder, PrismaClient } from '../../db/generated/prisma/client.ts';
import { parseEnvelope, seal, serializeEnvelope, sha256Hex, signDigest, unseal, verifyDigestSignature } from '../../crypto/index.ts';
import { AppError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import type { Logger } from '../../http/logger.ts';
import type { TenantContext, TenantRegistry } from '../../tenants/registry.ts';
import { formatMoney } from '../catalog/money.ts';
import { findOrderTransition } from '../order/order-states.ts';
import { lockOrder, requireRole, transitionOrder, type OrderActorRef } from '../order/order.service.ts';
import { currentSealingKey, institutionSigningKey, sealingKeyById } from './keys.ts';
import { transitionGuarantee } from './guarantee-states.ts';
import { amountInWords, defaultLetterTemplate, renderLetterPdf, type LetterTemplate } from './letter.ts';

const DAY = 86_400_000;

/** What issuing needs beyond the request: the process-wide services. */
export interface IssuanceDeps {
  db: PrismaClient;
  tenants: TenantRegistry;
  sealingMasterKey: string;
}

export interface IssueGuaranteeInput {
  orderId: string;
  /** The institution's own letter number; generated when absent. Unique per institution. */
  number?: string | null;
  validFrom?: Date | null;
  /** Must not end before the bid opening; defaults to opening + the section's bid validity days. */
  validUntil?: Date | null;
}

/** The institution issues a paid order of a reviewed product (real-time products issue at payment). */
export async function issueGuarantee(ctx: Context, input: IssueGuaranteeInput): Promise<Guarantee> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution issues guarantees');
  const tenant = ctx.requireTenant();
  const order = await ctx.db.guaranteeOrder.findFirst({ where: { id: input.orderId, tenantId: tenant.id, institutionId: viewer.institutionId! } });
  if (!order) throw new AppError('ORDER_NOT_FOUND', 'Order was not found', 'input.orderId');
  return issueForOrder({ db: ctx.db, tenants: ctx.tenants, sealingMasterKey: ctx.sealingMasterKey }, tenant, order, { type: 'INSTITUTION', userId: viewer.userId }, input);
}

/**
 * Renders, signs and (where the tenant seals until opening) seals the letter, then in ONE transaction stores the
 * letter bytes, creates the guarantee (EFFECTIVE) and moves the order to ISSUED with its events. The letter lives in
 * the database, so a failed commit leaves neither a guarantee without its letter nor a letter without a guarantee.
 */
export async function issueForOrder(
  deps: IssuanceDeps,
  tenant: TenantContext,
  order: GuaranteeOrder,
  actor: OrderActorRef,
  input: Omit<IssueGuaranteeInput, 'orderId'>,
): Promise<Guarantee> {
  const { db } = deps;
  const [section, bidder, product] = await Promise.all([
    db.bidSection.findUniqueOrThrow({ where: { id: order.sectionId }, include: { tenderee: true } }),
    db.enterprise.findUniqueOrThrow({ where: { id: order.bidderId } }),
    db.product.findUniqueOrThrow({ where: { id: order.productId }, include: { institution: true } }),
  ]);
  // Refuse early (before rendering) what the transition table will refuse anyway.
  findOrderTransition(order.status, 'ISSUE', actor.type, { issuance: product.issuance });

  const number = (input.number ?? generateGuaranteeNumber(product.institution.code)).trim();
  if (!/^[A-Za-z0-9-]{6,40}$/.test(number)) throw new ValidationError('input.number', 'A guarantee number is 6 to 40 letters, digits or hyphens');
  const issuedAt = new Date();
  const validFrom = input.validFrom ?? issuedAt;
  const validUntil = input.validUntil ?? new Date(section.openingAt.getTime() + section.bidValidityDays * DAY);
  if (validUntil.getTime() < section.openingAt.getTime()) {
    throw new ValidationError('input.validUntil', 'The guarantee must stay valid at least until the bid opening', 'VALIDITY_BEFORE_OPENING');
  }
  if (validFrom.getTime() >= validUntil.getTime()) throw new ValidationError('input.validFrom', 'validFrom must be before validUntil', 'VALIDITY_EMPTY');
  if (await db.guarantee.findUnique({ where: { institutionId_number: { institutionId: product.institutionId, number } } })) {
    throw new ValidationError('input.number', `Guarantee number ${number} was already used by this institution`, 'GUARANTEE_NUMBER_TAKEN');
  }

  const pdf = await renderLetterPdf(letterTemplate(tenant, product.institution.code, product.institution.kind), {
    tenantName: tenant.name,
    guaranteeNumber: number,
    orderNumber: order.number,
    institutionName: product.institution.name,
    institutionKind: product.institution.kind,
    bidderName: bidder.name,
    bidderUscc: bidder.uscc,
    tendereeName: section.tenderee.name,
    sectionName: section.name,
    sectionCode: section.code,
    projectName: section.projectName,
    amount: formatMoney(order.amount),
    amountInWords: amountInWords(formatMoney(order.amount)),
    premium: formatMoney(order.premium),
    validFrom,
    validUntil,
    issuedAt,
    timeZone: tenant.config.timeZone,
  });
  const digest = sha256Hex(pdf);
  const signer = await institutionSigningKey(db, product.institution, deps.sealingMasterKey);
  const signature = signDigest(signer.privateKeyPem, digest);
  const sealNow = tenant.config.sealing.sealUntilOpening && section.status !== 'OPENED' && section.openingAt.getTime() > issuedAt.getTime();
  const sealingKey = sealNow ? await currentSealingKey(db, tenant.id, deps.sealingMasterKey) : undefined;
  const stored = sealingKey ? serializeEnvelope(seal(pdf, sealingKey.publicKeyPem)) : Buffer.from(pdf);

  try {
    return await db.$transaction(async (tx) => {
      const current = await lockOrder(tx, order.id, tenant.id);
      const file = await tx.storedFile.create({
        data: {
          tenantId: tenant.id,
          kind: sealingKey ? 'LETTER_SEALED' : 'LETTER_PLAIN',
          mimeType: sealingKey ? 'application/octet-stream' : 'application/pdf',
          size: stored.length,
          sha256: sha256Hex(stored),
          content: new Uint8Array(stored),
          ownerUserId: actor.userId,
        },
      });
      const guarantee = await tx.guarantee.create({
        data: {
          tenantId: tenant.id,
          institutionId: product.institutionId,
          productId: product.id,
          orderId: order.id,
          sectionId: section.id,
          bidderId: bidder.id,
          number,
          amount: order.amount,
          premium: order.premium,
          issuedAt,
          validFrom,
          validUntil,
          letterDigest: digest,
          letterSignature: signature,
          signerCertificatePem: signer.certificatePem,
          sealedLetterId: sealingKey ? file.id : null,
          sealingKeyId: sealingKey?.id ?? null,
          plainLetterId: sealingKey ? null : file.id,
        },
      });
      await transitionOrder(tx, current, 'ISSUE', actor, { issuance: product.issuance }, { data: { closedAt: issuedAt } });
      await recordDomainEvent(tx, {
        tenantId: tenant.id,
        type: 'GUARANTEE_ISSUED',
        aggregateType: 'Guarantee',
        aggregateId: guarantee.id,
        payload: { number, orderId: order.id, sealed: Boolean(sealingKey), bidderId: bidder.id, institutionId: product.institutionId },
      });
      return guarantee;
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002' && JSON.stringify((error as { meta?: unknown }).meta ?? {}).includes('number')) {
      throw new ValidationError('input.number', `Guarantee number ${number} was already used by this institution`, 'GUARANTEE_NUMBER_TAKEN');
    }
    throw error;
  }
}

/**
 * Unseals the letters whose section has opened (its opening time passed, or an admin recorded OPENED), optionally of
 * one section only. Safe with several instances: rows are claimed FOR UPDATE SKIP LOCKED, and an unsealed letter is
 * never picked again. A letter whose plain bytes do not match the recorded digest (tampered) stays sealed and is
 * reported in the log. Returns how many letters were unsealed.
 */
export async function unsealDueLetters(
  deps: { db: PrismaClient; sealingMasterKey: string; log?: Logger },
  options: { now?: Date; sectionId?: string; limit?: number } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? 100;
  return deps.db.$transaction(
    async (tx) => {
      const due = options.sectionId
        ? await tx.$queryRaw<Array<{ id: string }>>`
            SELECT g.id FROM "Guarantee" g JOIN "BidSection" s ON s.id = g."sectionId"
            WHERE g."sealedLetterId" IS NOT NULL AND g."unsealedAt" IS NULL AND s.id = ${options.sectionId}::uuid
              AND (s."openingAt" <= ${now} OR s.status = 'OPENED')
            ORDER BY g."issuedAt" LIMIT ${limit} FOR UPDATE OF g SKIP LOCKED`
        : await tx.$queryRaw<Array<{ id: string }>>`
            SELECT g.id FROM "Guarantee" g JOIN "BidSection" s ON s.id = g."sectionId"
            WHERE g."sealedLetterId" IS NOT NULL AND g."unsealedAt" IS NULL
              AND (s."openingAt" <= ${now} OR s.status = 'OPENED')
            ORDER BY g."issuedAt" LIMIT ${limit} FOR UPDATE OF g SKIP LOCKED`;
      let unsealed = 0;
      for (const { id } of due) {
        const guarantee = await tx.guarantee.findUniqueOrThrow({ where: { id } });
        const sealed = await tx.storedFile.findUniqueOrThrow({ where: { id: guarantee.sealedLetterId! } });
        const key = await sealingKeyById(tx, guarantee.sealingKeyId!, deps.sealingMasterKey);
        let plain: Buffer;
        try {
          plain = unseal(parseEnvelope(sealed.content), await key.privateKeyPem());
        } catch (error) {
          deps.log?.error({ err: error, guaranteeId: id }, 'sealed letter cannot be opened: tampered or wrong key');
          continue;
        }
        if (sha256Hex(plain) !== guarantee.letterDigest) {
          deps.log?.error({ guaranteeId: id }, 'unsealed letter does not match its digest');
          continue;
        }
        const file = await tx.storedFile.create({
          data: { tenantId: guarantee.tenantId, kind: 'LETTER_PLAIN', mimeType: 'application/pdf', size: plain.length, sha256: guarantee.letterDigest, content: new Uint8Array(plain) },
        });
        await tx.guarantee.update({ where: { id }, data: { plainLetterId: file.id, unsealedAt: now, version: { increment: 1 } } });
        await recordDomainEvent(tx, {
          tenantId: guarantee.tenantId,
          type: 'GUARANTEE_UNSEALED',
          aggregateType: 'Guarantee',
          aggregateId: id,
          payload: { number: guarantee.number, digest: guarantee.letterDigest },
        });
        unsealed += 1;
      }
      return unsealed;
    },
    { timeout: 60_000 },
  );
}

export interface Verification {
  valid: boolean;
  reason: 'OK' | 'NOT_FOUND' | 'DIGEST_MISMATCH' | 'SIGNATURE_INVALID';
  guarantee: Guarantee | null;
  signatureValid: boolean;
}

/**
 * Public check of a letter by number and digest (or file): whether this platform issued a letter with that digest,
 * and whether the institution's signature over it verifies. Reveals nothing about section or tenderee.
 */
export async function verifyGuarantee(db: PrismaClient, tenant: TenantContext, number: string, digest: string): Promise<Verification> {
  const candidates = await db.guarantee.findMany({ where: { tenantId: tenant.id, number: number.trim() } });
  if (candidates.length === 0) return { valid: false, reason: 'NOT_FOUND', guarantee: null, signatureValid: false };
  const match = candidates.find((g) => g.letterDigest === digest.toLowerCase());
  if (!match) return { valid: false, reason: 'DIGEST_MISMATCH', guarantee: null, signatureValid: false };
  const signatureValid = Boolean(match.signerCertificatePem && match.letterSignature && verifyDigestSignature(match.signerCertificatePem, digest.toLowerCase(), match.letterSignature));
  return { valid: signatureValid, reason: signatureValid ? 'OK' : 'SIGNATURE_INVALID', guarantee: match, signatureValid };
}

export function letterTemplate(tenant: TenantContext, institutionCode: string, kind: 'INSURER' | 'BANK' | 'GUARANTOR'): LetterTemplate {
  const institution = tenant.config.institutions.find((i) => i.code === institutionCode);
  return institution?.letterTemplate ?? tenant.config.letterTemplates?.[kind] ?? defaultLetterTemplate(kind);
}

function generateGuaranteeNumber(institutionCode: string): string {
  const prefix = institutionCode.replace(/[^a-z0-9]/gi, '').slice(0, 6).toUpperCase();
  const stamp = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `BH${prefix}${stamp}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/**
 * Real-time products issue at payment confirmation without a person (实时出函). Runs after the payment committed; if
 * issuing fails the order stays PAID and the institution can still issue it, so the failure is logged, not thrown.
 */
export async function issueIfRealTime(ctx: Context, order: GuaranteeOrder): Promise<GuaranteeOrder> {
  if (order.status !== 'PAID') return order;
  const product = await ctx.db.product.findUniqueOrThrow({ where: { id: order.productId } });
  if (product.issuance !== 'REAL_TIME') return order;
  try {
    await issueForOrder({ db: ctx.db, tenants: ctx.tenants, sealingMasterKey: ctx.sealingMasterKey }, ctx.requireTenant(), order, { type: 'SYSTEM', userId: null }, {});
  } catch (error) {
    ctx.log.error({ err: error, orderId: order.id }, 'real-time issuance failed; the order stays PAID');
  }
  return ctx.db.guaranteeOrder.findUniqueOrThrow({ where: { id: order.id } });
}

/**
 * Guarantees past the end of their validity become EXPIRED (EFFECTIVE or partly paid ones; those with a refund,
 * claim or cancellation under way wait for it). Claimed FOR UPDATE SKIP LOCKED, so several instances never expire
 * one twice. Returns how many expired.
 */
export async function expireGuarantees(db: PrismaClient, now = new Date(), limit = 200): Promise<number> {
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "Guarantee"
      WHERE status IN ('EFFECTIVE', 'CLAIM_PAID') AND "validUntil" <= ${now}
      ORDER BY "validUntil" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    for (const { id } of due) {
      await transitionGuarantee(tx, await tx.guarantee.findUniqueOrThrow({ where: { id } }), 'EXPIRE');
    }
    return due.length;
  });
}
