/**
 * The only place that imports node-forge. Forge is used for what Node's own crypto cannot do: building and signing
 * X.509 certificates, reading their distinguished names, and path validation against a set of trusted roots.
 * Everything else (hashing, RSA signing and verification, AES-GCM, RSA-OAEP, scrypt) uses `node:crypto`, which is
 * native and one to two orders of magnitude faster than forge's pure-JavaScript implementations.
 *
 * Forge only understands RSA keys: certificates with EC or SM2 public keys are rejected as malformed.
 */
import forge from 'node-forge';

/** Object identifiers of the distinguished-name attributes this project writes and reads. */
export const DN_OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
} as const;

/** One attribute of an X.500 distinguished name, its value decoded to a JavaScript string. */
export interface DnAttribute {
  readonly oid: string;
  readonly value: string;
}

/** What the rest of the crypto module needs to know about a parsed certificate. */
export interface ParsedCertificate {
  readonly subject: readonly DnAttribute[];
  readonly issuer: readonly DnAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** True when the certificate has a basicConstraints extension with cA set. */
  readonly isCa: boolean;
  /** The certificate's DER bytes exactly as they appeared in the PEM. */
  readonly der: Buffer;
}

/** Why a certificate path did not validate. */
export type ChainFailureReason = 'UNTRUSTED' | 'EXPIRED' | 'MALFORMED' | 'NOT_YET_VALID';

/** Outcome of {@link validateCertificatePath}. */
export type PathValidation =
  | { readonly ok: true; readonly leaf: ParsedCertificate }
  | { readonly ok: false; readonly reason: ChainFailureReason };

/** The certificate profiles {@link signCertificate} can produce. */
export type CertificateProfile = 'ca' | 'end-entity';

/** The to-be-signed content of a certificate, in the terms this project uses. */
export interface CertificateContent {
  readonly subject: readonly DnAttribute[];
  /** SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM of an RSA key. */
  readonly publicKeyPem: string;
  /** Positive serial number as hex, without a leading 00 byte. */
  readonly serialNumberHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly profile: CertificateProfile;
}

/** Who signs a certificate: a CA (its certificate and key) or the subject itself (self-signed, `certPem` absent). */
export interface CertificateSigner {
  /** PKCS#1 (`RSA PRIVATE KEY`) or unencrypted PKCS#8 (`PRIVATE KEY`) PEM of an RSA key. */
  readonly keyPem: string;
  readonly certPem?: string;
}

const MAX_PATH_LENGTH = 8;
const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * Parses the first certificate of a PEM string.
 *
 * @throws Error if the PEM, DER or ASN.1 is malformed, or the public key is not RSA.
 */
export function parseCertificatePem(pem: string): ParsedCertificate {
  const [first] = readCertificates(pem);
  if (!first) throw new Error('no CERTIFICATE block in PEM');
  return describe(first.cert, first.der);
}

/**
 * Builds an X.509 v3 certificate and signs it with sha256WithRSAEncryption. A `ca` profile gets critical
 * basicConstraints (cA) and keyUsage (keyCertSign, cRLSign, digitalSignature); an `end-entity` profile gets critical
 * basicConstraints (not a CA) and keyUsage (digitalSignature, nonRepudiation, keyEncipherment) and a non-critical
 * extKeyUsage (clientAuth, emailProtection). Both get subject and authority key identifiers. Attribute values are
 * written as UTF8String, except country and serial number, which are PrintableString when their characters allow.
 *
 * @returns the certificate as PEM with LF line ends.
 * @throws Error if a key or the signer's certificate cannot be read, or the signer's key does not match its
 * certificate.
 */
export function signCertificate(content: CertificateContent, signer: CertificateSigner): string {
  const signingKey = forge.pki.privateKeyFromPem(signer.keyPem);
  const cert = forge.pki.createCertificate();
  cert.version = 2;
  cert.publicKey = forge.pki.publicKeyFromPem(content.publicKeyPem);
  cert.serialNumber = content.serialNumberHex;
  cert.validity.notBefore = content.notBefore;
  cert.validity.notAfter = content.notAfter;
  cert.setSubject(content.subject.map(toForgeField));

  let authorityKeyIdentifier: string | true = true;
  if (signer.certPem === undefined) {
    cert.setIssuer(content.subject.map(toForgeField));
  } else {
    const issuer = forge.pki.certificateFromPem(signer.certPem);
    const issuerKey = issuer.publicKey as forge.pki.rsa.PublicKey;
    if (!issuerKey.n.equals(signingKey.n)) throw new Error("the signer's key does not match its certificate");
    // Fields read from a parsed certificate hold raw UTF-8 bytes; forge would encode them a second time on write.
    cert.setIssuer(issuer.subject.attributes.map(rewritableField));
    authorityKeyIdentifier = subjectKeyIdentifierBytes(issuer);
  }

  cert.setExtensions([
    ...(content.profile === 'ca'
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', clientAuth: true, emailProtection: true },
        ]),
    { name: 'subjectKeyIdentifier' },
    // `keyIdentifier: true` makes forge use the new certificate's own key id, which is only right when self-signed.
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyIdentifier },
  ]);
  cert.sign(signingKey, forge.md.sha256.create());
  // forge writes CRLF line ends; everything else (OpenSSL, node:crypto) writes LF.
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/**
 * Validates the path from a leaf certificate to one of the trusted roots with forge's RFC 5280 path validation
 * (signatures, issuer/subject chaining, CA constraints, validity periods at `at`, critical extensions). `leafPem` may
 * be a bundle: certificates after the first are treated as intermediates. Intermediates may come in any order and
 * unrelated ones are ignored. Roots that cannot be parsed are skipped, so a bad trust list fails closed.
 *
 * Never throws: unreadable input gives `MALFORMED`; a broken signature, unknown issuer, non-CA issuer or unsupported
 * critical extension gives `UNTRUSTED`; trust is decided before validity, so an expired certificate from an unknown
 * CA is `UNTRUSTED`, not `EXPIRED`.
 */
export function validateCertificatePath(
  leafPem: string,
  intermediatePems: readonly string[],
  trustedRootPems: readonly string[],
  at: Date,
): PathValidation {
  let leaf: forge.pki.Certificate;
  let leafDer: Buffer;
  const pool: forge.pki.Certificate[] = [];
  try {
    const [first, ...bundled] = readCertificates(leafPem);
    if (!first) return { ok: false, reason: 'MALFORMED' };
    leaf = first.cert;
    leafDer = first.der;
    pool.push(...bundled.map((entry) => entry.cert));
    for (const pem of intermediatePems) pool.push(...readCertificates(pem).map((entry) => entry.cert));
  } catch {
    return { ok: false, reason: 'MALFORMED' };
  }

  const store = forge.pki.createCaStore();
  for (const pem of trustedRootPems) {
    try {
      store.addCertificate(pem);
    } catch {
      // An unreadable root is left out: the leaf then fails as UNTRUSTED rather than passing.
    }
  }

  const chain = orderChain(leaf, pool, store);
  try {
    forge.pki.verifyCertificateChain(store, chain, { validityCheckDate: null });
  } catch {
    return { ok: false, reason: 'UNTRUSTED' };
  }
  try {
    forge.pki.verifyCertificateChain(store, chain, { validityCheckDate: at });
  } catch (error) {
    const notBefore = (error as { notBefore?: unknown }).notBefore;
    if (notBefore instanceof Date && at < notBefore) return { ok: false, reason: 'NOT_YET_VALID' };
    return { ok: false, reason: 'EXPIRED' };
  }
  return { ok: true, leaf: describe(leaf, leafDer) };
}

function readCertificates(pem: string): { cert: forge.pki.Certificate; der: Buffer }[] {
  return forge.pem
    .decode(pem)
    .filter((message) => message.type === 'CERTIFICATE')
    .map((message) => ({
      cert: forge.pki.certificateFromAsn1(forge.asn1.fromDer(message.body)),
      der: Buffer.from(message.body, 'binary'),
    }));
}

function describe(cert: forge.pki.Certificate, der: Buffer): ParsedCertificate {
  const basicConstraints = cert.getExtension('basicConstraints') as { cA?: boolean } | null | undefined;
  return {
    subject: cert.subject.attributes.map(toDnAttribute),
    issuer: cert.issuer.attributes.map(toDnAttribute),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    isCa: basicConstraints?.cA === true,
    der,
  };
}

/** Follows issuer links from the leaf through the pool until a trusted root takes over, giving [leaf, ..., top]. */
function orderChain(
  leaf: forge.pki.Certificate,
  pool: readonly forge.pki.Certificate[],
  store: forge.pki.CAStore,
): forge.pki.Certificate[] {
  const chain = [leaf];
  let current = leaf;
  while (chain.length < MAX_PATH_LENGTH && store.getIssuer(current) === null) {
    const parent = pool.find((candidate) => !chain.includes(candidate) && current.isIssuer(candidate));
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

function toDnAttribute(field: forge.pki.CertificateField): DnAttribute {
  const raw = typeof field.value === 'string' ? field.value : '';
  const value = (field.valueTagClass as number) === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw;
  return { oid: field.type ?? '', value };
}

function toForgeField(attribute: DnAttribute): forge.pki.CertificateField {
  const printable =
    (attribute.oid === DN_OID.countryName || attribute.oid === DN_OID.serialNumber) &&
    PRINTABLE_STRING.test(attribute.value);
  return {
    type: attribute.oid,
    value: attribute.value,
    // @types/node-forge declares valueTagClass as an asn1.Class; forge reads it as an asn1.Type (the string type).
    valueTagClass: (printable ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8) as number as forge.asn1.Class,
  };
}

function rewritableField(field: forge.pki.CertificateField): forge.pki.CertificateField {
  const { value } = toDnAttribute(field);
  return { type: field.type, value, valueTagClass: field.valueTagClass };
}

function subjectKeyIdentifierBytes(cert: forge.pki.Certificate): string {
  const extension = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null | undefined;
  return extension?.subjectKeyIdentifier
    ? forge.util.hexToBytes(extension.subjectKeyIdentifier)
    : cert.generateSubjectKeyIdentifier().getBytes();
}
