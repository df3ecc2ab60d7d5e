/**
 * Enterprise identity certificates. An enterprise is identified by its 18-character unified social credit code
 * (统一社会信用代码, USCC, GB 32100-2015), carried in its certificate's subject twice: as the serialNumber attribute
 * (OID 2.5.4.5) and at the end of the common name, `企业名称 (USCC)`.
 *
 * Certificate building, parsing and path validation go through forge (`forge.ts`); keys are generated with
 * `node:crypto`, which is much faster.
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  DN_OID,
  parseCertificatePem,
  signCertificate,
  validateCertificatePath,
  type ChainFailureReason,
  type DnAttribute,
  type ParsedCertificate,
} from './forge.ts';
import { rsaPrivateKeyFrom } from './key-objects.ts';

export type { ChainFailureReason } from './forge.ts';

/** A certificate and its private key, both PEM; the key is unencrypted PKCS#8 unless the caller supplied its own. */
export interface CertificateWithKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options of {@link createCa}. */
export interface CaOptions {
  readonly commonName: string;
  readonly organization: string;
  readonly validDays: number;
  /** Start of validity; defaults to one minute ago, to tolerate clock skew. */
  readonly notBefore?: Date;
  /** An existing RSA private key (PKCS#1 or PKCS#8 PEM) to certify instead of generating a 2048-bit one. */
  readonly keyPem?: string;
}

/** Options of {@link issueEnterpriseCertificate}. */
export interface EnterpriseCertificateOptions {
  /** Must pass {@link isValidUscc}. */
  readonly uscc: string;
  readonly enterpriseName: string;
  readonly validDays: number;
  /** Start of validity; defaults to one minute ago. Set it in the past to issue an already expired certificate. */
  readonly notBefore?: Date;
  /** An existing RSA private key (PKCS#1 or PKCS#8 PEM) to certify instead of generating a 2048-bit one. */
  readonly keyPem?: string;
}

/** Outcome of {@link verifyCertificateChain}. */
export type CertificateChainResult =
  | {
      readonly ok: true;
      /** The USCC, read as {@link readUscc} does; null when the certificate carries none (not an enterprise's). */
      readonly uscc: string | null;
      readonly subjectCN: string | null;
      /** Lowercase hex SHA-256 of the leaf certificate's DER, no separators. */
      readonly fingerprint: string;
    }
  | { readonly ok: false; readonly reason: ChainFailureReason };

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const USCC_SHAPE = /^[0-9A-HJ-NP-RTUW-Y]{18}$/;
const USCC_IN_COMMON_NAME = /[(（]([0-9A-Z]{18})[)）]\s*$/;
const DAY_MS = 86_400_000;
const CLOCK_SKEW_MS = 60_000;
const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * True when `code` is a well-formed USCC: 18 characters from the GB 32100-2015 alphabet (digits and capitals without
 * I, O, S, V, Z) whose last character is the correct check character.
 */
export function isValidUscc(code: string): boolean {
  if (!USCC_SHAPE.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += USCC_ALPHABET.indexOf(code.charAt(i)) * (USCC_WEIGHTS[i] ?? 0);
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31) === code.charAt(17);
}

/**
 * Creates a self-signed root CA certificate (RSA, sha256WithRSAEncryption, critical basicConstraints cA and keyUsage
 * keyCertSign/cRLSign) with subject `C=CN, O=organization, CN=commonName`.
 *
 * @throws RangeError if `validDays` is not a positive number; TypeError if a supplied key is not an RSA private key.
 */
export async function createCa(options: CaOptions): Promise<CertificateWithKey> {
  const keyPem = options.keyPem ?? (await generateRsaKeyPem());
  const certPem = signCertificate(
    {
      subject: [
        { oid: DN_OID.countryName, value: 'CN' },
        { oid: DN_OID.organizationName, value: options.organization },
        { oid: DN_OID.commonName, value: options.commonName },
      ],
      publicKeyPem: publicKeyPemOf(keyPem),
      serialNumberHex: randomSerialNumberHex(),
      ...validity(options.notBefore, options.validDays),
      profile: 'ca',
    },
    { keyPem },
  );
  return { certPem, keyPem };
}

/**
 * Issues an enterprise's end-entity certificate signed by `ca`, with subject
 * `C=CN, O=enterpriseName, CN=enterpriseName (uscc), serialNumber=uscc`, keyUsage digitalSignature/nonRepudiation/
 * keyEncipherment and extKeyUsage clientAuth/emailProtection.
 *
 * @throws RangeError if the USCC is invalid or `validDays` is not positive; TypeError if a supplied key is not an RSA
 * private key; Error if the CA key does not match the CA certificate.
 */
export async function issueEnterpriseCertificate(
  ca: CertificateWithKey,
  options: EnterpriseCertificateOptions,
): Promise<CertificateWithKey> {
  if (!isValidUscc(options.uscc)) throw new RangeError(`not a valid unified social credit code: ${options.uscc}`);
  const keyPem = options.keyPem ?? (await generateRsaKeyPem());
  const certPem = signCertificate(
    {
      subject: [
        { oid: DN_OID.countryName, value: 'CN' },
        { oid: DN_OID.organizationName, value: options.enterpriseName },
        { oid: DN_OID.commonName, value: `${options.enterpriseName} (${options.uscc})` },
        { oid: DN_OID.serialNumber, value: options.uscc },
      ],
      publicKeyPem: publicKeyPemOf(keyPem),
      serialNumberHex: randomSerialNumberHex(),
      ...validity(options.notBefore, options.validDays),
      profile: 'end-entity',
    },
    { keyPem: ca.keyPem, certPem: ca.certPem },
  );
  return { certPem, keyPem };
}

/**
 * Reads the enterprise USCC from a certificate: the subject serialNumber attribute if it is a valid USCC, else a
 * valid USCC in ASCII or full-width parentheses at the end of the subject common name. Returns null when there is
 * none or the PEM cannot be read; never throws.
 */
export function readUscc(certPem: string): string | null {
  try {
    return usccOf(parseCertificatePem(certPem));
  } catch {
    return null;
  }
}

/**
 * Validates `leafPem` (optionally a bundle whose further certificates are intermediates) up to one of
 * `trustedRootPems`, at time `at`, with forge's path validation (see {@link validateCertificatePath}). Intermediates
 * may be in any order. Only RSA certificates can be read (a forge limitation): others are `MALFORMED`.
 *
 * Never throws on bad certificates; `MALFORMED` for unreadable input, `UNTRUSTED` when no valid path to a trusted root
 * exists, `EXPIRED` / `NOT_YET_VALID` when a certificate on an otherwise valid path is outside its validity period.
 *
 * @throws TypeError only if `at` is an invalid Date (a programming error).
 */
export function verifyCertificateChain(
  leafPem: string,
  trustedRootPems: readonly string[],
  intermediatePems: readonly string[] = [],
  at: Date = new Date(),
): CertificateChainResult {
  if (Number.isNaN(at.getTime())) throw new TypeError('verification time is an invalid Date');
  const result = validateCertificatePath(leafPem, intermediatePems, trustedRootPems, at);
  if (!result.ok) return result;
  return {
    ok: true,
    uscc: usccOf(result.leaf),
    subjectCN: attribute(result.leaf.subject, DN_OID.commonName),
    fingerprint: createHash('sha256').update(result.leaf.der).digest('hex'),
  };
}

function usccOf(cert: ParsedCertificate): string | null {
  const serialNumber = attribute(cert.subject, DN_OID.serialNumber);
  if (serialNumber !== null && isValidUscc(serialNumber)) return serialNumber;
  const inCommonName = USCC_IN_COMMON_NAME.exec(attribute(cert.subject, DN_OID.commonName) ?? '')?.[1];
  return inCommonName !== undefined && isValidUscc(inCommonName) ? inCommonName : null;
}

function attribute(attributes: readonly DnAttribute[], oid: string): string | null {
  return attributes.find((candidate) => candidate.oid === oid)?.value ?? null;
}

async function generateRsaKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return privateKey;
}

function publicKeyPemOf(keyPem: string): string {
  return createPublicKey(rsaPrivateKeyFrom(keyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** 16 random bytes with the top bit cleared (a positive INTEGER) and a non-zero first byte (minimal DER). */
function randomSerialNumberHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

function validity(notBefore: Date | undefined, validDays: number): { notBefore: Date; notAfter: Date } {
  if (!(validDays > 0)) throw new RangeError('validDays must be positive');
  const start = notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  return { notBefore: start, notAfter: new Date(start.getTime() + validDays * DAY_MS) };
}
