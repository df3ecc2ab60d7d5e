import { builder } from '../../builder.ts';
import { AppError } from '../../errors.ts';
import { ErrorInterface } from '../common/common.types.ts';

/**
 * A login code that does not work: wrong, expired, already used, tried too often, or sent to a mobile that is not
 * registered in this tenant. Deliberately one error, so the answer never tells which.
 */
export class SmsCodeInvalidError extends AppError {
  override name = 'SmsCodeInvalidError';
  constructor() {
    super('SMS_CODE_INVALID', 'The mobile number or code is not valid, or the code has expired: request a new code', 'input.code');
  }
}

/** Too many login codes asked for one mobile number or from one address. */
export class RateLimitedError extends AppError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many codes requested: try again in ${retryAfterSeconds} seconds`);
  }
}

/** A certificate login that failed: untrusted or expired certificate, wrong signature, or an unknown enterprise. */
export class CertificateRejectedError extends AppError {
  override name = 'CertificateRejectedError';
  constructor() {
    super('CERTIFICATE_REJECTED', 'The certificate login was refused');
  }
}

/** The challenge is unknown in this tenant, expired or already used. */
export class ChallengeInvalidError extends AppError {
  override name = 'ChallengeInvalidError';
  constructor() {
    super('CHALLENGE_INVALID', 'The challenge is unknown, expired or already used: request a new one', 'input.challengeId');
  }
}

/** `switchRole` to a role the user does not hold in the session's tenant. */
export class RoleNotHeldError extends AppError {
  override name = 'RoleNotHeldError';
  constructor() {
    super('ROLE_NOT_HELD', 'You do not hold this role in this tenant', 'role');
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function errorType(cls: new (...args: any[]) => AppError, name: string, description: string) {
  return builder.objectType(cls, { name, description, interfaces: [ErrorInterface], isTypeOf: (value) => value instanceof cls });
}

errorType(SmsCodeInvalidError, 'SmsCodeInvalidError', 'The mobile number or code is not valid, or the code expired or was used.');
errorType(CertificateRejectedError, 'CertificateRejectedError', 'The certificate login was refused.');
errorType(ChallengeInvalidError, 'ChallengeInvalidError', 'The certificate challenge is unknown, expired or already used.');
errorType(RoleNotHeldError, 'RoleNotHeldError', 'You do not hold that role in this tenant.');
builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: 'Too many requests: wait `retryAfterSeconds`.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});
