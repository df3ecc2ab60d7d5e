/**
 * Logins, sessions and API credentials. Every function takes the request context first and acts in its tenant.
 * Rule of the house: a refused login writes exactly one row, its AuthAudit record; limits are counted from those rows.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { subject } from '@casl/ability';
import { signSessionToken } from '../../auth/session-token.ts';
import { CERTIFICATE_CHALLENGE_TTL_SECONDS } from '../../auth/config.ts';
import { sealSecret } from '../../auth/secret-box.ts';
import type { Role, Viewer } from '../../auth/viewer.ts';
import type { Context } from '../../context.ts';
import { randomToken, verifyCertificateChain, verifyChallengeSignature } from '../../crypto/index.ts';
import type { Prisma } from '../../db/generated/prisma/client.ts';
import type { AuthEvent, LoginMethod } from '../../db/generated/prisma/enums.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import type { TenantContext } from '../../tenants/registry.ts';
import { CertificateRejectedError, ChallengeInvalidError, RateLimitedError, RoleNotHeldError, SmsCodeInvalidError } from './identity.errors.ts';
import { MOBILE, UUID } from '../common/formats.ts';

/** The order in which a login picks the first active role among those held. */
export const ROLE_ORDER: readonly Role[] = ['BIDDER', 'TENDEREE', 'AGENT', 'INSTITUTION', 'ADMIN'];
/** Roles that act for an enterprise (and so may log in with the enterprise's certificate). */
export const ENTERPRISE_ROLES: readonly Role[] = ['BIDDER', 'TENDEREE', 'AGENT'];

const SMS_CODE = /^\d{6}$/;
const MAX_CERTIFICATE_PEM = 32_768;

/** What a successful login or role switch returns. */
export interface LoginResult {
  token: string;
  expiresAt: Date;
  tenantCode: string;
  activeRole: Role;
  roles: Role[];
}

type Tx = Prisma.TransactionClient;
type AuditRow = { event: AuthEvent; reason?: string; mobile?: string; userId?: string; sessionId?: string; smsCodeId?: string };

function audit(ctx: Context, db: Tx | Context['db'], outcome: 'SUCCESS' | 'FAILURE', row: AuditRow, tenantId = ctx.tenant?.id) {
  return db.authAudit.create({ data: { ...row, outcome, tenantId: tenantId ?? null, clientAddress: ctx.clientAddress ?? null } });
}

function assertMobile(mobile: string): string {
  const trimmed = mobile.trim();
  if (!MOBILE.test(trimmed)) throw new ValidationError('input.mobile', 'A mobile number is 11 digits starting with 1', 'MOBILE_MALFORMED');
  return trimmed;
}

/**
 * Sends a 6-digit login code to a mobile registered in the request's tenant, valid for 5 minutes; only the newest
 * code of a mobile works. An unregistered mobile gets the same answer and no message. Limited per mobile (count and
 * interval) and per client address, counted from the audit table.
 *
 * @throws ValidationError, RateLimitedError
 */
export async function requestSmsCode(ctx: Context, mobileInput: string): Promise<{ expiresInSeconds: number; retryAfterSeconds: number }> {
  const tenant = ctx.requireTenant();
  const mobile = assertMobile(mobileInput);
  const limits = ctx.identity.smsLimits;
  const now = Date.now();
  const sent = { event: 'SMS_CODE_REQUESTED' as const, outcome: 'SUCCESS' as const };
  const since = (seconds: number) => ({ gte: new Date(now - seconds * 1000) });
  const [byMobile, byAddress, last] = await Promise.all([
    ctx.db.authAudit.count({ where: { ...sent, mobile, createdAt: since(limits.perMobile.windowSeconds) } }),
    ctx.clientAddress
      ? ctx.db.authAudit.count({ where: { ...sent, clientAddress: ctx.clientAddress, createdAt: since(limits.perAddress.windowSeconds) } })
      : 0,
    ctx.db.authAudit.findFirst({ where: { ...sent, mobile }, orderBy: { createdAt: 'desc' }, select: { createdAt: true } }),
  ]);
  const sinceLast = last ? (now - last.createdAt.getTime()) / 1000 : Number.POSITIVE_INFINITY;
  const refusal: [string, number] | undefined =
    sinceLast < limits.mobileIntervalSeconds
      ? ['MOBILE_INTERVAL', Math.ceil(limits.mobileIntervalSeconds - sinceLast)]
      : byMobile >= limits.perMobile.max
        ? ['MOBILE_LIMIT', limits.perMobile.windowSeconds]
        : byAddress >= limits.perAddress.max
          ? ['ADDRESS_LIMIT', limits.perAddress.windowSeconds]
          : undefined;
  if (refusal) {
    await audit(ctx, ctx.db, 'FAILURE', { event: 'SMS_CODE_REQUESTED', mobile, reason: refusal[0] });
    throw new RateLimitedError(refusal[1]);
  }
  const user = await ctx.db.user.findFirst({ where: { mobile, roles: { some: { tenantId: tenant.id } } }, select: { id: true } });
  const answer = { expiresInSeconds: limits.codeTtlSeconds, retryAfterSeconds: limits.mobileIntervalSeconds };
  if (!user) {
    await audit(ctx, ctx.db, 'SUCCESS', { event: 'SMS_CODE_REQUESTED', mobile, reason: 'UNKNOWN_MOBILE' });
    return answer;
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.smsCode.create({
      data: {
        tenantId: tenant.id,
        mobile,
        codeHash: ctx.identity.hashSmsCode(tenant.id, mobile, code),
        expiresAt: new Date(now + limits.codeTtlSeconds * 1000),
      },
    });
    await audit(ctx, tx, 'SUCCESS', { event: 'SMS_CODE_REQUESTED', mobile, userId: user.id, smsCodeId: row.id, reason: 'SENT' });
  });
  const platform = tenant.config.shortName ?? tenant.name;
  await ctx.identity.smsSender.send({
    tenantId: tenant.id,
    mobile,
    purpose: 'LOGIN_CODE',
    text: `【${platform}】您的登录验证码为 ${code}，${Math.round(limits.codeTtlSeconds / 60)} 分钟内有效，请勿告诉他人。`,
  });
  return answer;
}

/**
 * Logs in with the newest code sent to the mobile in this tenant. Every refusal (no such user, no code, wrong,
 * expired, used, too many attempts) is the same SmsCodeInvalidError and writes only its audit row.
 *
 * @throws ValidationError, SmsCodeInvalidError
 */
export async function loginWithSms(ctx: Context, mobileInput: string, code: string): Promise<LoginResult> {
  const tenant = ctx.requireTenant();
  const mobile = assertMobile(mobileInput);
  const refuse = async (reason: string, smsCodeId?: string): Promise<never> => {
    await audit(ctx, ctx.db, 'FAILURE', { event: 'SMS_LOGIN', mobile, reason, ...(smsCodeId ? { smsCodeId } : {}) });
    throw new SmsCodeInvalidError();
  };
  const latest = await ctx.db.smsCode.findFirst({ where: { tenantId: tenant.id, mobile }, orderBy: { createdAt: 'desc' } });
  if (!latest) return refuse('NO_CODE');
  if (latest.consumedAt) return refuse('CODE_USED', latest.id);
  if (latest.expiresAt.getTime() <= Date.now()) return refuse('CODE_EXPIRED', latest.id);
  const failures = await ctx.db.authAudit.count({ where: { smsCodeId: latest.id, event: 'SMS_LOGIN', outcome: 'FAILURE' } });
  if (failures >= ctx.identity.smsLimits.maxAttempts) return refuse('TOO_MANY_ATTEMPTS', latest.id);
  const given = Buffer.from(ctx.identity.hashSmsCode(tenant.id, mobile, SMS_CODE.test(code) ? code : '-'), 'hex');
  if (!SMS_CODE.test(code) || !timingSafeEqual(given, Buffer.from(latest.codeHash, 'hex'))) return refuse('WRONG_CODE', latest.id);
  const user = await ctx.db.user.findFirst({ where: { mobile }, include: { roles: { where: { tenantId: tenant.id } } } });
  const role = firstRole(user?.roles.map((r) => r.role) ?? [], ROLE_ORDER);
  if (!user || !role) return refuse('NOT_REGISTERED', latest.id);
  const result = await ctx.db.$transaction(async (tx) => {
    const consumed = await tx.smsCode.updateMany({ where: { id: latest.id, consumedAt: null }, data: { consumedAt: new Date() } });
    if (consumed.count === 0) return undefined;
    return startSession(ctx, tx, { tenant, userId: user.id, role, method: 'SMS', event: 'SMS_LOGIN', audit: { mobile, smsCodeId: latest.id } });
  });
  return result ?? refuse('CODE_USED', latest.id);
}

/** A fresh challenge for a certificate login in the request's tenant, valid for two minutes and usable once. */
export async function requestCertificateChallenge(ctx: Context) {
  const tenant = ctx.requireTenant();
  const challenge = `e-guarantee login\ntenant: ${tenant.code}\nnonce: ${randomToken(24)}`;
  return ctx.db.certificateChallenge.create({
    data: { tenantId: tenant.id, challenge, expiresAt: new Date(Date.now() + CERTIFICATE_CHALLENGE_TTL_SECONDS * 1000) },
  });
}

/**
 * Logs in as the enterprise whose certificate signed the challenge: the certificate must chain to one of the CA roots
 * the tenant trusts (tenants/ca/) and be valid now, the signature (RSA-SHA256 over the challenge text) must verify,
 * and its USCC must name an enterprise registered in this tenant with a member holding an enterprise role. The
 * session belongs to that member (the primary one first). Every certificate problem is the same error.
 *
 * @throws ChallengeInvalidError, CertificateRejectedError
 */
export async function loginWithCertificate(
  ctx: Context,
  input: { challengeId: string; certificatePem: string; signature: string },
): Promise<LoginResult> {
  const tenant = ctx.requireTenant();
  const refuse = async (reason: string, error: Error = new CertificateRejectedError()): Promise<never> => {
    await audit(ctx, ctx.db, 'FAILURE', { event: 'CERTIFICATE_LOGIN', reason });
    throw error;
  };
  const challenge = UUID.test(input.challengeId)
    ? await ctx.db.certificateChallenge.findFirst({ where: { id: input.challengeId, tenantId: tenant.id } })
    : null;
  if (!challenge) return refuse('CHALLENGE_UNKNOWN', new ChallengeInvalidError());
  if (challenge.consumedAt) return refuse('CHALLENGE_USED', new ChallengeInvalidError());
  if (challenge.expiresAt.getTime() <= Date.now()) return refuse('CHALLENGE_EXPIRED', new ChallengeInvalidError());
  if (input.certificatePem.length > MAX_CERTIFICATE_PEM) return refuse('MALFORMED');
  if (tenant.trustedCaRootPems.length === 0) return refuse('NO_TRUSTED_ROOTS');
  const chain = verifyCertificateChain(input.certificatePem, tenant.trustedCaRootPems);
  if (!chain.ok) return refuse(chain.reason);
  if (!verifyChallengeSignature(input.certificatePem, challenge.challenge, input.signature)) return refuse('BAD_SIGNATURE');
  if (!chain.uscc) return refuse('NO_USCC');
  const enterprise = await ctx.db.enterprise.findUnique({ where: { tenantId_uscc: { tenantId: tenant.id, uscc: chain.uscc } } });
  if (!enterprise) return refuse('UNKNOWN_ENTERPRISE');
  const member = await ctx.db.enterpriseMembership.findFirst({
    where: { enterpriseId: enterprise.id, tenantId: tenant.id },
    orderBy: [{ primary: 'desc' }, { createdAt: 'asc' }],
    include: { user: { include: { roles: { where: { tenantId: tenant.id, role: { in: [...ENTERPRISE_ROLES] } } } } } },
  });
  const role = firstRole(member?.user.roles.map((r) => r.role) ?? [], ENTERPRISE_ROLES);
  if (!member || !role) return refuse('NO_MEMBER');
  const result = await ctx.db.$transaction(async (tx) => {
    const consumed = await tx.certificateChallenge.updateMany({ where: { id: challenge.id, consumedAt: null }, data: { consumedAt: new Date() } });
    if (consumed.count === 0) return undefined;
    return startSession(ctx, tx, { tenant, userId: member.userId, role, method: 'CERTIFICATE', event: 'CERTIFICATE_LOGIN', audit: { reason: `uscc ${chain.uscc}` } });
  });
  return result ?? refuse('CHALLENGE_USED', new ChallengeInvalidError());
}

/**
 * Hunan 4.2: makes another role the user holds in the session's tenant the active one. The current session is
 * revoked and a new one started, so the old token stops working at once.
 *
 * @throws RoleNotHeldError
 */
export async function switchRole(ctx: Context, role: Role): Promise<LoginResult> {
  const viewer = requireUserSession(ctx);
  const tenant = ctx.requireTenant();
  const held = await ctx.db.userRole.findUnique({ where: { userId_tenantId_role: { userId: viewer.userId, tenantId: tenant.id, role } } });
  if (!held) {
    await audit(ctx, ctx.db, 'FAILURE', { event: 'ROLE_SWITCHED', userId: viewer.userId, sessionId: viewer.sessionId, reason: `ROLE_NOT_HELD ${role}` });
    throw new RoleNotHeldError();
  }
  const session = await ctx.db.session.findFirstOrThrow({ where: { id: viewer.sessionId, tenantId: tenant.id } });
  if (!ctx.ability.can('update', subject('Session', session))) throw new ForbiddenError();
  const started = await ctx.db.$transaction(async (tx) => {
    await tx.session.update({ where: { id: session.id }, data: { revokedAt: new Date() } });
    return startSession(ctx, tx, {
      tenant,
      userId: viewer.userId,
      role,
      method: session.method,
      event: 'ROLE_SWITCHED',
      audit: { reason: `${viewer.role} -> ${role}` },
    });
  });
  await ctx.identity.sessionRevocations.announce(session.id);
  return started;
}

/** Revokes the current session: its token stops working at once. */
export async function logout(ctx: Context): Promise<boolean> {
  const viewer = requireUserSession(ctx);
  const session = await ctx.db.session.findFirstOrThrow({ where: { id: viewer.sessionId, tenantId: viewer.tenantId } });
  if (!ctx.ability.can('delete', subject('Session', session))) throw new ForbiddenError();
  await ctx.db.$transaction([
    ctx.db.session.update({ where: { id: session.id }, data: { revokedAt: new Date() } }),
    ctx.db.authAudit.create({
      data: { event: 'LOGOUT', outcome: 'SUCCESS', tenantId: viewer.tenantId, userId: viewer.userId, sessionId: session.id, clientAddress: ctx.clientAddress ?? null },
    }),
  ]);
  await ctx.identity.sessionRevocations.announce(session.id);
  return true;
}

/** The roles the viewer holds in its tenant, in {@link ROLE_ORDER}. An API client holds INSTITUTION only. */
export async function rolesOf(ctx: Context, viewer: Viewer): Promise<Role[]> {
  if (!viewer.userId) return [viewer.role];
  const rows = await ctx.db.userRole.findMany({ where: { userId: viewer.userId, tenantId: viewer.tenantId }, select: { role: true } });
  return sortRoles(rows.map((row) => row.role));
}

/**
 * Issues API credentials to one of the admin's tenant's institutions (DESIGN 5.6: given once on admission). The
 * secret is returned this once and stored encrypted under SECRET_KEY, since verifying HMAC needs it again.
 *
 * @throws NotFoundError
 */
export async function issueInstitutionApiClient(ctx: Context, institutionCode: string) {
  const tenant = ctx.requireTenant();
  const institution = await ctx.db.institution.findFirst({ where: { tenantId: tenant.id, code: institutionCode, retiredAt: null } });
  if (!institution) throw new NotFoundError(`Institution "${institutionCode}"`, 'input.institutionCode', 'INSTITUTION_NOT_FOUND');
  if (!ctx.ability.can('create', subject('InstitutionApiClient', { tenantId: tenant.id } as never))) throw new ForbiddenError();
  const clientId = `ic_${randomToken(12)}`;
  const secret = randomToken(32);
  await ctx.db.institutionApiClient.create({
    data: { tenantId: tenant.id, institutionId: institution.id, clientId, secretEncrypted: sealSecret(ctx.identity.secretBoxKey, secret) },
  });
  ctx.log.info({ clientId, institution: institution.code, tenant: tenant.code }, 'issued institution API client');
  return { clientId, secret, institutionCode: institution.code, tenantCode: tenant.code };
}

async function startSession(
  ctx: Context,
  tx: Tx,
  start: { tenant: TenantContext; userId: string; role: Role; method: LoginMethod; event: AuthEvent; audit: Omit<AuditRow, 'event'> },
): Promise<LoginResult> {
  const { tenant, userId, role } = start;
  const [enterprise, institution, roles] = await Promise.all([
    ENTERPRISE_ROLES.includes(role) ? tx.enterpriseMembership.findUnique({ where: { userId_tenantId: { userId, tenantId: tenant.id } } }) : null,
    role === 'INSTITUTION' ? tx.institutionMembership.findUnique({ where: { userId_tenantId: { userId, tenantId: tenant.id } } }) : null,
    tx.userRole.findMany({ where: { userId, tenantId: tenant.id }, select: { role: true } }),
  ]);
  const expiresAt = new Date(Date.now() + ctx.identity.sessionTtlSeconds * 1000);
  const session = await tx.session.create({
    data: {
      tenantId: tenant.id,
      userId,
      role,
      enterpriseId: enterprise?.enterpriseId ?? null,
      institutionId: institution?.institutionId ?? null,
      method: start.method,
      clientAddress: ctx.clientAddress ?? null,
      expiresAt,
    },
  });
  await audit(ctx, tx, 'SUCCESS', { ...start.audit, event: start.event, userId, sessionId: session.id }, tenant.id);
  const token = await signSessionToken(ctx.identity.sessionKey, { sessionId: session.id, userId, tenantCode: tenant.code, role, expiresAt });
  return { token, expiresAt, tenantCode: tenant.code, activeRole: role, roles: sortRoles(roles.map((r) => r.role)) };
}

function requireUserSession(ctx: Context): Viewer & { userId: string; sessionId: string } {
  const viewer = ctx.viewer;
  if (!viewer?.userId || !viewer.sessionId) throw new ForbiddenError('Only a logged-in user has a session');
  return viewer as Viewer & { userId: string; sessionId: string };
}

function firstRole(held: Role[], order: readonly Role[]): Role | undefined {
  return order.find((role) => held.includes(role));
}

function sortRoles(roles: Role[]): Role[] {
  return ROLE_ORDER.filter((role) => roles.includes(role));
}
