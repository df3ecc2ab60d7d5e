import { builder } from '../../builder.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { CertificateRejectedError, ChallengeInvalidError, RateLimitedError, RoleNotHeldError, SmsCodeInvalidError } from './identity.errors.ts';
import * as identity from './identity.service.ts';
import { RoleEnum, SessionTokenRef } from './identity.types.ts';

const SmsCodeSent = builder.objectRef<{ expiresInSeconds: number; retryAfterSeconds: number }>('SmsCodeSent').implement({
  description: 'The answer is the same whether or not the mobile is registered: only a registered one receives a code.',
  fields: (t) => ({
    expiresInSeconds: t.exposeInt('expiresInSeconds'),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'How long to wait before asking for another code.' }),
  }),
});

const CertificateChallenge = builder.objectRef<{ id: string; challenge: string; expiresAt: Date }>('CertificateChallenge').implement({
  description: 'Text to sign (RSA-SHA256, base64) with the enterprise certificate key, then pass to `loginWithCertificate`.',
  fields: (t) => ({
    challengeId: t.exposeID('id'),
    challenge: t.exposeString('challenge'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const InstitutionApiCredentials = builder
  .objectRef<{ clientId: string; secret: string; institutionCode: string; tenantCode: string }>('InstitutionApiCredentials')
  .implement({
    description: 'Shown once: sign requests with HMAC-SHA256 (headers X-Client-Id, X-Timestamp, X-Nonce, X-Signature).',
    fields: (t) => ({
      clientId: t.exposeString('clientId'),
      secret: t.exposeString('secret'),
      institutionCode: t.exposeString('institutionCode'),
      tenantCode: t.exposeString('tenantCode'),
    }),
  });

const RequestSmsCodeInput = builder.inputType('RequestSmsCodeInput', {
  fields: (t) => ({ mobile: t.string({ required: true }) }),
});
const LoginWithSmsInput = builder.inputType('LoginWithSmsInput', {
  fields: (t) => ({ mobile: t.string({ required: true }), code: t.string({ required: true }) }),
});
const LoginWithCertificateInput = builder.inputType('LoginWithCertificateInput', {
  fields: (t) => ({
    challengeId: t.id({ required: true }),
    certificatePem: t.string({ required: true, description: 'The enterprise certificate (PEM), optionally followed by intermediates.' }),
    signature: t.string({ required: true, description: 'RSA-SHA256 signature of the challenge text, base64.' }),
  }),
});
const IssueInstitutionApiClientInput = builder.inputType('IssueInstitutionApiClientInput', {
  fields: (t) => ({ institutionCode: t.string({ required: true }) }),
});

// Login mutations are the only anonymous ones: they skip the Mutation type's deny-all and say `public`.
builder.mutationFields((t) => ({
  requestSmsCode: t.field({
    type: SmsCodeSent,
    description: "Sends a login code to a mobile registered in the request's tenant (X-Tenant). Rate-limited.",
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: RequestSmsCodeInput, required: true }) },
    errors: { types: [ValidationError, RateLimitedError], directResult: true, union: { name: 'RequestSmsCodeResult' } },
    resolve: (_root, { input }, ctx) => identity.requestSmsCode(ctx, input.mobile),
  }),
  loginWithSms: t.field({
    type: SessionTokenRef,
    description: 'Logs in with the code `requestSmsCode` sent. The first role held (bidder first) becomes active.',
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginWithSmsInput, required: true }) },
    errors: { types: [ValidationError, SmsCodeInvalidError], directResult: true, union: { name: 'LoginWithSmsResult' } },
    resolve: (_root, { input }, ctx) => identity.loginWithSms(ctx, input.mobile, input.code),
  }),
  requestCertificateChallenge: t.field({
    type: CertificateChallenge,
    description: 'A single-use challenge for `loginWithCertificate`, valid for two minutes.',
    skipTypeScopes: true,
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => identity.requestCertificateChallenge(ctx),
  }),
  loginWithCertificate: t.field({
    type: SessionTokenRef,
    description: "Logs in as the enterprise whose certificate (trusted by this tenant's CA roots) signed the challenge.",
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginWithCertificateInput, required: true }) },
    errors: { types: [ChallengeInvalidError, CertificateRejectedError], directResult: true, union: { name: 'LoginWithCertificateResult' } },
    resolve: (_root, { input }, ctx) => identity.loginWithCertificate(ctx, input),
  }),
  switchRole: t.field({
    type: SessionTokenRef,
    description: 'Hunan 4.2: makes another role you hold in this tenant active. Returns a new token; the old one stops working.',
    skipTypeScopes: true,
    authScopes: { can: { action: 'update', subject: 'Session' } },
    args: { role: t.arg({ type: RoleEnum, required: true }) },
    errors: { types: [RoleNotHeldError], directResult: true, union: { name: 'SwitchRoleResult' } },
    resolve: (_root, { role }, ctx) => identity.switchRole(ctx, role),
  }),
  logout: t.boolean({
    description: 'Ends the session: its token stops working at once.',
    skipTypeScopes: true,
    authScopes: { can: { action: 'delete', subject: 'Session' } },
    resolve: (_root, _args, ctx) => identity.logout(ctx),
  }),
  issueInstitutionApiClient: t.field({
    type: InstitutionApiCredentials,
    description: "Admin: issues API credentials to one of the tenant's institutions. The secret is shown only here.",
    skipTypeScopes: true,
    authScopes: { can: { action: 'create', subject: 'InstitutionApiClient' } },
    args: { input: t.arg({ type: IssueInstitutionApiClientInput, required: true }) },
    errors: { types: [NotFoundError], directResult: true, union: { name: 'IssueInstitutionApiClientResult' } },
    resolve: (_root, { input }, ctx) => identity.issueInstitutionApiClient(ctx, input.institutionCode),
  }),
}));
