import { X509Certificate, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DN_OID, signCertificate } from '../../src/crypto/forge.ts';
import {
  SEAL_ALGORITHM,
  SealBrokenError,
  WrongMasterKeyError,
  canonicalRequest,
  createCa,
  decryptPrivateKey,
  encryptPrivateKey,
  generateSealingKeyPair,
  hashSecret,
  isValidUscc,
  issueEnterpriseCertificate,
  parseEnvelope,
  randomToken,
  readUscc,
  reencryptPrivateKey,
  seal,
  sealText,
  serializeEnvelope,
  sha256Hex,
  signChallenge,
  signDigest,
  signRequest,
  unseal,
  unsealText,
  verifyCertificateChain,
  verifyChallengeSignature,
  verifyDigestSignature,
  verifyRequestSignature,
  verifySecret,
  type CertificateWithKey,
  type SealedEnvelope,
  type SealingKeyPair,
  type SignedRequestParts,
} from '../../src/crypto/index.ts';

const DAY_MS = 86_400_000;
const USCC = '91110108MA01XK7Q2D';
const OTHER_USCC = '91310115MA1H8RTU39';
const ENTERPRISE_NAME = '北京示范建设工程有限公司';
const CA_NAME = { commonName: 'E-Guarantee Demo Root CA', organization: '电子保函演示平台' };

let ca: CertificateWithKey;
/** Same subject as `ca`, different key: an impostor. */
let impostorCa: CertificateWithKey;
let enterprise: CertificateWithKey;
let intermediate: CertificateWithKey;
let sealing: SealingKeyPair;

beforeAll(async () => {
  [ca, impostorCa, sealing] = await Promise.all([
    createCa({ ...CA_NAME, validDays: 3650 }),
    createCa({ ...CA_NAME, validDays: 3650, keyPem: FIXED_RSA_KEY_PEM }),
    generateSealingKeyPair(),
  ]);
  enterprise = await issueEnterpriseCertificate(ca, { uscc: USCC, enterpriseName: ENTERPRISE_NAME, validDays: 365 });
  const now = Date.now();
  intermediate = {
    keyPem: FIXED_RSA_KEY_PEM,
    certPem: signCertificate(
      {
        subject: [
          { oid: DN_OID.countryName, value: 'CN' },
          { oid: DN_OID.commonName, value: 'E-Guarantee Demo Issuing CA' },
        ],
        publicKeyPem: createPublicKey(FIXED_RSA_KEY_PEM).export({ type: 'spki', format: 'pem' }).toString(),
        serialNumberHex: '0102',
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 365 * DAY_MS),
        profile: 'ca',
      },
      ca,
    ),
  };
}, 30_000);

describe('USCC', () => {
  it('accepts codes with a correct check character and nothing else', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(isValidUscc('91440300708461136T')).toBe(true);
    expect(isValidUscc(USCC)).toBe(true);
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91350100m000100y43')).toBe(false);
    expect(isValidUscc('91350100M000100Y4')).toBe(false);
    expect(isValidUscc('91350100MO00100Y43')).toBe(false);
  });

  it('refuses to issue a certificate for an invalid code', async () => {
    await expect(
      issueEnterpriseCertificate(ca, {
        uscc: '91350100M000100Y44',
        enterpriseName: 'x',
        validDays: 1,
        keyPem: FIXED_RSA_KEY_PEM,
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe('certificate chains', () => {
  it('verifies a certificate from the trusted CA and returns its USCC, common name and fingerprint', () => {
    const result = verifyCertificateChain(enterprise.certPem, [ca.certPem]);
    const x509 = new X509Certificate(enterprise.certPem);
    expect(result).toEqual({
      ok: true,
      uscc: USCC,
      subjectCN: `${ENTERPRISE_NAME} (${USCC})`,
      fingerprint: x509.fingerprint256.replaceAll(':', '').toLowerCase(),
    });
    expect(readUscc(enterprise.certPem)).toBe(USCC);
  });

  it('writes certificates OpenSSL reads the same way: UTF-8 names, issuer link, signature', () => {
    const leaf = new X509Certificate(enterprise.certPem);
    const root = new X509Certificate(ca.certPem);
    expect(leaf.subject.split('\n')).toEqual([
      'C=CN',
      `O=${ENTERPRISE_NAME}`,
      `CN=${ENTERPRISE_NAME} (${USCC})`,
      `serialNumber=${USCC}`,
    ]);
    expect(leaf.issuer).toBe(root.subject);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(root.ca).toBe(true);
  });

  it('rejects a certificate from another CA as UNTRUSTED, even one with the same name', async () => {
    const forged = await issueEnterpriseCertificate(impostorCa, {
      uscc: USCC,
      enterpriseName: ENTERPRISE_NAME,
      validDays: 365,
      keyPem: enterprise.keyPem,
    });
    expect(verifyCertificateChain(forged.certPem, [ca.certPem])).toEqual({ ok: false, reason: 'UNTRUSTED' });
    expect(verifyCertificateChain(enterprise.certPem, [])).toEqual({ ok: false, reason: 'UNTRUSTED' });
  });

  it('rejects a certificate issued by an end-entity certificate as UNTRUSTED', async () => {
    const sub = await issueEnterpriseCertificate(enterprise, {
      uscc: OTHER_USCC,
      enterpriseName: 'Sub',
      validDays: 365,
      keyPem: FIXED_RSA_KEY_PEM,
    });
    expect(verifyCertificateChain(sub.certPem, [ca.certPem], [enterprise.certPem])).toEqual({
      ok: false,
      reason: 'UNTRUSTED',
    });
  });

  it('tells EXPIRED and NOT_YET_VALID apart and honours the verification time', async () => {
    const expired = await issueEnterpriseCertificate(ca, {
      uscc: USCC,
      enterpriseName: ENTERPRISE_NAME,
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      validDays: 10,
      keyPem: enterprise.keyPem,
    });
    expect(verifyCertificateChain(expired.certPem, [ca.certPem])).toEqual({ ok: false, reason: 'EXPIRED' });
    const inWindow = new Date(Date.now() - 25 * DAY_MS);
    expect(verifyCertificateChain(expired.certPem, [ca.certPem], [], inWindow)).toMatchObject({ ok: true, uscc: USCC });
    const beforeIssue = new Date(Date.now() - 2 * DAY_MS);
    expect(verifyCertificateChain(enterprise.certPem, [ca.certPem], [], beforeIssue)).toEqual({
      ok: false,
      reason: 'NOT_YET_VALID',
    });
  });

  it('reports garbage as MALFORMED without throwing', () => {
    const garbage = [
      '',
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      enterprise.keyPem,
      enterprise.certPem.replace(/^(-----BEGIN CERTIFICATE-----\n)[^\n]+/, `$1${'A'.repeat(64)}`),
    ];
    for (const pem of garbage) {
      expect(verifyCertificateChain(pem, [ca.certPem])).toEqual({ ok: false, reason: 'MALFORMED' });
    }
    expect(readUscc('not a certificate')).toBeNull();
  });

  it('rejects a certificate whose signed content or signature was altered as UNTRUSTED', () => {
    const der = new X509Certificate(enterprise.certPem).raw;
    const relabelled = Buffer.from(der);
    for (let at = relabelled.indexOf(USCC); at !== -1; at = relabelled.indexOf(USCC, at + 1)) {
      relabelled.write(OTHER_USCC, at, 'ascii');
    }
    const resigned = Buffer.from(der);
    resigned[resigned.length - 1] = (resigned[resigned.length - 1] ?? 0) ^ 0x01;
    for (const altered of [relabelled, resigned]) {
      expect(verifyCertificateChain(toPem(altered), [ca.certPem])).toEqual({ ok: false, reason: 'UNTRUSTED' });
    }
    expect(readUscc(toPem(relabelled))).toBe(OTHER_USCC);
  });

  it('skips unreadable trusted roots instead of failing open or throwing', () => {
    expect(verifyCertificateChain(enterprise.certPem, ['garbage', ca.certPem]).ok).toBe(true);
    expect(verifyCertificateChain(enterprise.certPem, ['garbage'])).toEqual({ ok: false, reason: 'UNTRUSTED' });
  });

  it('follows intermediates given in any order or bundled with the leaf', async () => {
    const leaf = await issueEnterpriseCertificate(intermediate, {
      uscc: OTHER_USCC,
      enterpriseName: '上海示范投资有限公司',
      validDays: 365,
      keyPem: enterprise.keyPem,
    });
    expect(verifyCertificateChain(leaf.certPem, [ca.certPem])).toEqual({ ok: false, reason: 'UNTRUSTED' });
    expect(verifyCertificateChain(leaf.certPem, [ca.certPem], [intermediate.certPem])).toMatchObject({
      ok: true,
      uscc: OTHER_USCC,
    });
    const unordered = [impostorCa.certPem, enterprise.certPem, intermediate.certPem];
    expect(verifyCertificateChain(leaf.certPem, [ca.certPem], unordered)).toMatchObject({ ok: true, uscc: OTHER_USCC });
    expect(verifyCertificateChain(leaf.certPem + intermediate.certPem, [ca.certPem])).toMatchObject({ ok: true });
  });

  it('reads a USCC from the common name when the serialNumber attribute is missing', () => {
    const certPem = signCertificate(
      {
        subject: [{ oid: DN_OID.commonName, value: `${ENTERPRISE_NAME}（${USCC}）` }],
        publicKeyPem: createPublicKey(FIXED_RSA_KEY_PEM).export({ type: 'spki', format: 'pem' }).toString(),
        serialNumberHex: '03',
        notBefore: new Date(),
        notAfter: new Date(Date.now() + DAY_MS),
        profile: 'end-entity',
      },
      { keyPem: FIXED_RSA_KEY_PEM },
    );
    expect(readUscc(certPem)).toBe(USCC);
    expect(readUscc(ca.certPem)).toBeNull();
  });

  it('refuses to sign with a key that does not match the CA certificate', async () => {
    await expect(
      issueEnterpriseCertificate(
        { certPem: ca.certPem, keyPem: FIXED_RSA_KEY_PEM },
        { uscc: USCC, enterpriseName: ENTERPRISE_NAME, validDays: 1, keyPem: enterprise.keyPem },
      ),
    ).rejects.toThrow(/does not match/);
  });

  it('certifies keys given as PKCS#1 or PKCS#8 PEM', async () => {
    const pkcs1 = createPrivateKey(FIXED_RSA_KEY_PEM).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(FIXED_RSA_KEY_PEM).toContain('BEGIN PRIVATE KEY');
    for (const keyPem of [pkcs1, FIXED_RSA_KEY_PEM]) {
      const issued = await issueEnterpriseCertificate(ca, {
        uscc: OTHER_USCC,
        enterpriseName: 'K',
        validDays: 1,
        keyPem,
      });
      expect(verifyCertificateChain(issued.certPem, [ca.certPem])).toMatchObject({ ok: true, uscc: OTHER_USCC });
      expect(verifyChallengeSignature(issued.certPem, 'c', signChallenge(FIXED_RSA_KEY_PEM, 'c'))).toBe(true);
    }
  });
});

describe('challenge signatures', () => {
  const challenge = 'login:9f2c1e7a-3b4d-4c5e-8f90-a1b2c3d4e5f6';

  it('verify for the signed challenge and the signing key only', () => {
    const signature = signChallenge(enterprise.keyPem, challenge);
    expect(verifyChallengeSignature(enterprise.certPem, challenge, signature)).toBe(true);
    expect(verifyChallengeSignature(enterprise.certPem, `${challenge}x`, signature)).toBe(false);
    expect(verifyChallengeSignature(impostorCa.certPem, challenge, signature)).toBe(false);
    expect(verifyChallengeSignature(enterprise.certPem, challenge, signChallenge(FIXED_RSA_KEY_PEM, challenge))).toBe(
      false,
    );
    expect(verifyChallengeSignature(enterprise.certPem, challenge, 'not base64!')).toBe(false);
    expect(verifyChallengeSignature('garbage', challenge, signature)).toBe(false);
  });

  it('match OpenSSL on a fixed key', () => {
    expect(signChallenge(FIXED_RSA_KEY_PEM, 'abc')).toBe(OPENSSL_SIGNATURE_OF_ABC);
  });
});

describe('sealing', () => {
  const marker = '保函编号 BH-2024-000123 担保金额 500000.00';
  const plain = Buffer.concat([Buffer.alloc(2048, 0x25), Buffer.from(marker), Buffer.alloc(2048, 0x0a)]);
  let envelope: SealedEnvelope;

  beforeAll(() => {
    envelope = seal(plain, sealing.publicKeyPem);
  });

  it('round-trips bytes through an envelope and its serialized blob', () => {
    expect(envelope.v).toBe(1);
    expect(envelope.alg).toBe(SEAL_ALGORITHM);
    expect(Buffer.from(envelope.wrappedKey, 'base64')).toHaveLength(256);
    expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(envelope.tag, 'base64')).toHaveLength(16);
    expect(unseal(envelope, sealing.privateKeyPem).equals(plain)).toBe(true);
    const blob = serializeEnvelope(envelope);
    expect(blob.subarray(0, 5).equals(Buffer.from('EGSL\x01', 'latin1'))).toBe(true);
    expect(unseal(parseEnvelope(blob), sealing.privateKeyPem).equals(plain)).toBe(true);
  });

  it('hides the plain text and never reuses a key', () => {
    const blob = serializeEnvelope(envelope);
    expect(blob.includes(Buffer.from(marker))).toBe(false);
    expect(blob.includes(Buffer.from('BH-2024-000123'))).toBe(false);
    const again = seal(plain, sealing.publicKeyPem);
    expect(again.wrappedKey).not.toBe(envelope.wrappedKey);
    expect(again.ciphertext.equals(envelope.ciphertext)).toBe(false);
  });

  it('throws SealBrokenError when the ciphertext, the tag or the blob is altered', () => {
    const ciphertext = Buffer.from(envelope.ciphertext);
    ciphertext[100] = (ciphertext[100] ?? 0) ^ 0x01;
    expect(() => unseal({ ...envelope, ciphertext }, sealing.privateKeyPem)).toThrow(SealBrokenError);

    const tag = Buffer.from(envelope.tag, 'base64');
    tag[0] = (tag[0] ?? 0) ^ 0x80;
    expect(() => unseal({ ...envelope, tag: tag.toString('base64') }, sealing.privateKeyPem)).toThrow(SealBrokenError);

    const blob = serializeEnvelope(envelope);
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0xff;
    expect(() => unseal(parseEnvelope(blob), sealing.privateKeyPem)).toThrow(SealBrokenError);
    expect(() => parseEnvelope(blob.subarray(0, 100))).toThrow(SealBrokenError);
    expect(() => parseEnvelope(Buffer.from('%PDF-1.7'))).toThrow(SealBrokenError);
  });

  it('throws SealBrokenError for a different private key', () => {
    expect(() => unseal(envelope, FIXED_RSA_KEY_PEM)).toThrow(SealBrokenError);
    expect(() => unseal(envelope, enterprise.keyPem)).toThrow(SealBrokenError);
  });

  it('seals short texts as base64url', () => {
    const sealed = sealText('第三标段：市政道路工程', sealing.publicKeyPem);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(unsealText(sealed, sealing.privateKeyPem)).toBe('第三标段：市政道路工程');
    expect(() => unsealText(sealed, FIXED_RSA_KEY_PEM)).toThrow(SealBrokenError);
    expect(() => unsealText(`${sealed.slice(0, -2)}AA`, sealing.privateKeyPem)).toThrow(SealBrokenError);
    expect(() => unsealText('not/base64url', sealing.privateKeyPem)).toThrow(SealBrokenError);
  });

  it('opens a text sealed by an independent implementation (Python cryptography)', () => {
    expect(unsealText(PYTHON_SEALED_TEXT, FIXED_RSA_KEY_PEM)).toBe(PYTHON_SEALED_TEXT_PLAIN);
  });
});

describe('private keys at rest', () => {
  it('round-trips, rejects a wrong master key and supports rotation', async () => {
    const oldMaster = 'old-master-key-b64-8Zq1';
    const newMaster = 'new-master-key-b64-Pw3x';
    const stored = await encryptPrivateKey(sealing.privateKeyPem, oldMaster);
    expect(stored).toMatch(/^ekey1(\.[A-Za-z0-9_-]+){4}$/);
    expect(stored).not.toContain('PRIVATE KEY');

    const rotated = await reencryptPrivateKey(stored, oldMaster, newMaster);
    const results = await Promise.allSettled([
      decryptPrivateKey(stored, oldMaster),
      decryptPrivateKey(stored, 'wrong'),
      decryptPrivateKey(rotated, newMaster),
      decryptPrivateKey(rotated, oldMaster),
      decryptPrivateKey(stored, newMaster),
    ]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : result.reason))).toEqual([
      sealing.privateKeyPem,
      expect.any(WrongMasterKeyError),
      sealing.privateKeyPem,
      expect.any(WrongMasterKeyError),
      expect.any(WrongMasterKeyError),
    ]);
  });

  it('detects tampering and rejects non-keys', async () => {
    const stored = await encryptPrivateKey(ED25519_KEY_PEM, 'm');
    const parts = stored.split('.');
    const ciphertext = Buffer.from(parts[4] ?? '', 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 0x01;
    parts[4] = ciphertext.toString('base64url');
    await expect(decryptPrivateKey(parts.join('.'), 'm')).rejects.toThrow(WrongMasterKeyError);
    await expect(decryptPrivateKey('-----BEGIN PRIVATE KEY-----', 'm')).rejects.toThrow(TypeError);
    await expect(encryptPrivateKey('not a key', 'm')).rejects.toThrow(TypeError);
    await expect(encryptPrivateKey(ED25519_KEY_PEM, '')).rejects.toThrow(TypeError);
  });

  it('decrypts a value made by an independent implementation (Python)', async () => {
    expect(await decryptPrivateKey(PYTHON_EKEY1, PYTHON_EKEY1_MASTER_KEY)).toBe(ED25519_KEY_PEM);
  });
});

describe('document digests and signatures', () => {
  it('hashes the fixed SHA-256 vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.from('abc'))).toBe(sha256Hex('abc'));
  });

  it('signs the digest such that the signature is the RSA-SHA256 signature of the document', () => {
    const letter = Buffer.from('%PDF-1.7 投标保函 …', 'utf8');
    const digest = sha256Hex(letter);
    const signature = signDigest(enterprise.keyPem, digest);
    const publicKeyPem = createPublicKey(enterprise.keyPem).export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyDigestSignature(enterprise.certPem, digest, signature)).toBe(true);
    expect(verifyDigestSignature(publicKeyPem, digest, signature)).toBe(true);
    expect(verifyDigestSignature(publicKeyPem, digest.toUpperCase(), signature)).toBe(true);
    const certKey = new X509Certificate(enterprise.certPem).publicKey;
    expect(verify('sha256', letter, certKey, Buffer.from(signature, 'base64'))).toBe(true);
    expect(verifyDigestSignature(enterprise.certPem, sha256Hex('another letter'), signature)).toBe(false);
    expect(verifyDigestSignature(impostorCa.certPem, digest, signature)).toBe(false);
    expect(verifyDigestSignature(enterprise.certPem, 'abc', signature)).toBe(false);
    expect(verifyDigestSignature(enterprise.certPem, digest, signature.slice(4))).toBe(false);
    expect(() => signDigest(enterprise.keyPem, 'abc')).toThrow(TypeError);
  });

  it('matches OpenSSL on a fixed key', () => {
    expect(signDigest(FIXED_RSA_KEY_PEM, sha256Hex('abc'))).toBe(OPENSSL_SIGNATURE_OF_ABC);
    expect(verifyDigestSignature(FIXED_RSA_KEY_PEM, sha256Hex('abc'), OPENSSL_SIGNATURE_OF_ABC)).toBe(true);
  });
});

describe('HMAC request signing', () => {
  const secret = 'institution-secret';
  const parts: SignedRequestParts = {
    method: 'post',
    path: '/graphql?tenant=gd',
    timestamp: '1700000000',
    nonce: 'n-1',
    body: '{"query":"{ ping }"}',
  };

  it('builds the documented canonical request and matches OpenSSL', () => {
    expect(canonicalRequest(parts)).toBe(
      'POST\n/graphql?tenant=gd\n1700000000\nn-1\n23e9cd62c6d08cac5d1f71bf8e46afb1ce8b305e90d52dc2db1eebc8f5f606f5',
    );
    expect(canonicalRequest({ ...parts, body: undefined }).endsWith(sha256Hex(''))).toBe(true);
    expect(signRequest(secret, parts)).toBe(OPENSSL_HMAC);
    expect(signRequest(Buffer.from(secret), { ...parts, body: Buffer.from(parts.body as string) })).toBe(OPENSSL_HMAC);
  });

  it('verifies the signature and rejects any tampering', () => {
    const signature = signRequest(secret, parts);
    expect(verifyRequestSignature(secret, parts, signature)).toBe(true);
    expect(verifyRequestSignature(secret, parts, signature.toUpperCase())).toBe(true);
    expect(verifyRequestSignature(secret, { ...parts, body: '{"query":"{ pong }"}' }, signature)).toBe(false);
    expect(verifyRequestSignature(secret, { ...parts, path: '/graphql?tenant=js' }, signature)).toBe(false);
    expect(verifyRequestSignature(secret, { ...parts, nonce: 'n-2' }, signature)).toBe(false);
    expect(verifyRequestSignature(secret, { ...parts, timestamp: '1700000001' }, signature)).toBe(false);
    expect(verifyRequestSignature(secret, { ...parts, method: 'GET' }, signature)).toBe(false);
    expect(verifyRequestSignature('other-secret', parts, signature)).toBe(false);
    expect(verifyRequestSignature(secret, parts, signature.slice(2))).toBe(false);
    expect(verifyRequestSignature(secret, parts, 'zz'.repeat(32))).toBe(false);
    expect(verifyRequestSignature(secret, { ...parts, path: '/graphql\n' }, signature)).toBe(false);
    expect(() => canonicalRequest({ ...parts, nonce: 'a\nb' })).toThrow(TypeError);
  });
});

describe('secrets and tokens', () => {
  it('hashes secrets with a salt and verifies them', async () => {
    const [stored, other] = await Promise.all([hashSecret('s3cret-密码'), hashSecret('s3cret-密码')]);
    expect(stored).toMatch(/^\$scrypt\$ln=14,r=8,p=5\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(other).not.toBe(stored);
    const checks = await Promise.all([
      verifySecret('s3cret-密码', stored),
      verifySecret('s3cret-密码 ', stored),
      verifySecret('s3cret-密码', stored.replace('ln=14', 'ln=30')),
      verifySecret('s3cret-密码', 'plain'),
    ]);
    expect(checks).toEqual([true, false, false, false]);
  });

  it('makes distinct random tokens', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(token);
    expect(randomToken(16)).toHaveLength(22);
    expect(() => randomToken(0)).toThrow(RangeError);
  });
});

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// Fixed vectors, defined last so that the tests above read first.

/**
 * Fixed vectors produced outside this code base, so they pin the formats and not just round trips:
 * - FIXED_RSA_KEY_PEM: a test-only key from `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
 * - OPENSSL_SIGNATURE_OF_ABC: `printf abc | openssl dgst -sha256 -sign fixed.pem | base64`.
 * - OPENSSL_HMAC: `printf '<canonical request>' | openssl dgst -sha256 -hmac institution-secret`.
 * - PYTHON_SEALED_TEXT / PYTHON_EKEY1: built with Python `cryptography` (RSA-OAEP SHA-256/MGF1-SHA-256, AESGCM) and
 *   `hashlib.scrypt`, following the layouts documented in sealing.ts and key-at-rest.ts.
 */
const FIXED_RSA_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQC8hchFU40aS6f+
2491YSHVwBSERabCSc/gZ8GjmgjYf63XWQ5nyrdWwK+JK2HIni1BlhRplIBssuRf
Ao++H4BwEWjjWCpjItCExnknCHR8HKxE/af4DlSdjXdRP9vUT6uHZ8ayksn4YNoM
CXEjj1qVQcbRt9w+AgO6InNDxy5pQOxY6wyyM2bR35l1FMi/Pilnz1BdccL35UBm
pyQP5jZ5WlQBFPV56LxpUQlIVMSXRXa61iS0ohyTBunIfC0X5FikMqyMTgQ9r3bD
Y8a7+Aeg5q68Y5ua1jaNJncjE3ztIdQGMwZ3diXoHeNhtToGETy9DUzqkhkVZpKg
tuq1eABBAgMBAAECggEAISzGsSJylHPHWKMxA9Ynstp2Ec/C+HIuRV5k1kIjN9wC
DsESdqPW7wqB6VjLwJbLPn0nUuwJzHcPloOYIXwgKTh7FXS8oszr1k2p4LtNalDO
ZOahQhbdf4s3OcJL0DkD5ZRWxDJuHcoHXPJlaT1PErBsSRf6hyPqHX11/LGmomk3
xvkY2x/Cl3Tx5q9ieqdNprPQGa6xxsDtHEc4Y0Ojugu+4fgsRpAmkst88f13pQxb
nJiDMkVXt4/ZtynBwxS3MNQ9tS2nHcY0izEVftoIDPwSdnx2M/lOABtybpArBf88
tsydjAVcAgyEFQRNM+5gJBMHcDGmw65lLMQWNr+lBQKBgQDg+7rEq0Su3LVRg7dX
rP0Xtu1e8Oit8oynn3p3v0B6SwLpIus/iIxKfISJcz/RswPfWsKIjBx5/SeHBAXY
+Nsgfg3rYLjEA9YxPV5X4JSrCX8Dh92mE9CdHYV0wbpSXL3EyQ2UCHfSX4mDjDaL
VC0jm0RJTu+HKlLiu5bD6A6jPQKBgQDWg0E7qeNxZF559l0+alhH9WKmQdwHtYCO
OscxXjzAYLg77oE1W4/XNWOrz9sxbAzhIjKodH4cQL47pjldSXNfozwC56ObMY5p
/bJxZP2kojC2zsVZ9OOU/5wRx5gSjyRaZjilVdcNbgfZZKUB4Bw+26Xf+zdVhED6
ovFqNCPRVQKBgQDWMZL8znnTaLkPZDFXPZCv1S5kZ0N+6B7VL1XvT5vZUjTxNJd3
o069U5LzMVAfGymiqcvvKEWsNkI9nqzahwJICvrBjxIZO/XeZyi8zUl9FMth1yZE
iTThgEugfxgedcEN6sQMnYtGNEK9hO4g9AENlzMKACa3Lqo+xo2g8fuNmQKBgQCS
W+2nMqvfUxbu6fwGuPJQ7okHXMoubFUxNcNw2JZkv9kT8xAvgrBqqp+9u00XtFw5
Q2cC7rCYwEfLVQewsYvJhgtNBBTpr282vAUDP1+b85l/MScP0Hly0NAAhYkpqIaq
MzKVBDN9k0RBvFylIe7DqIPNhY7khx76ozBKQRbrHQKBgQC0hpLjJhMW87VuD9NQ
LAQS26K+1tH+fDRvSfrDRblINyePe7gMptBlOUv03J3HUWSO4fokI+G1WEPlRCq5
5T8htXo8tueXutJ9c+QdHJ9GNRTSgZCiTVcfd3etcVNi89xIe5SDIxQ+p3yvI+5p
SrAlHKp9qiGed3UTEiHENXVH+w==
-----END PRIVATE KEY-----
`;

const OPENSSL_SIGNATURE_OF_ABC =
  'gLDTsB92yYwY8cD25L9zxli7GP1NsbQYSqW4ZSke3ZCpNX6dIYXuSiu18D3ta1HwBiOlTWP35V2aPjn0b3w/oZOeggzuvfV/A/yK' +
  'LCAW8ldHF9kwgTNx80OaZnjVNCkvlSIo//q9kW7B6/irOctMehVfRAVcZLuDlCH0wI/2CiICiP3U15uJxRF5V+9TtD7SNOcXWRU+' +
  'XFhKwt8ULPIOSWjYDMqj/EiSxr8oUgbVZs+HLQusBcti1g5eFE6EZH6Gy1y/aRFwa3RPgE8lgeV29UwOzxjBOZoMYZIvNKGQDBAM' +
  'I3pdVyQu7R9IUAZjIh71sQgzL5xP8Ue/teoGd7KJpQ==';

const OPENSSL_HMAC = '50c818b017c5e3571e0f113ef3020e9fd7572672ddaa04d1d3037698c4fe6375';

const PYTHON_SEALED_TEXT =
  'RUdTTAEBAHnBCdbjbSIwcsMj4DdKUuJL3oel7lkt4kgf0cU_hCDhKGP47XbhE3B2gaupJxxbDLj8ZKEGRB89Bg0GkMd0aoTFt2_n' +
  'czMvRzK_V1rPDBhSXsfOG7lXN14jdAojYzDfvxiusokMzPG1C1dNZHWoLaVhB4uKcHjJOZ5T9FdrcbjRCW3U_7FipfSIMUL1q4bW' +
  'YCRC0kJRLQ1M7C8hL_SNwGw5wCQeTKcbLLGhxqADlVIWaB0KNWwprQm26bjaEG8PorVPN0fst8_yynG5AEwL3Vs8Yl4elQ0jwM6S' +
  'DpgPHaNBCGNYT92KmlSB4gKEgaNBqSI-xocE1nij_3AiDWCjL_I7TlcmwoTGPHz5S1MGfvnSwnm7tZS73YwgX-un_JKJ7SoDtkcr' +
  '3I4AIl7n4LrSMgulf8it';

const PYTHON_SEALED_TEXT_PLAIN = '第一标段 (Section 1)';

const ED25519_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINORYfP8ZgqfBqvkvaYXMQM7eV0nyrHK6CcxVZZRaV9L
-----END PRIVATE KEY-----
`;

const PYTHON_EKEY1 =
  'ekey1.Ux6IlOdZbKToRxLQxp76sA.CrfNMCU3GhwrF2bj.FvoE4cJSnOuZ8hVVwjmAhw.f4SNezAtQfN8fXBxsLCZVVO-5AsiQ3F' +
  '2lh3And29KKmuKgy0FwMFwyA7T1mfpDPJUF8PDIZdx5l0y032hCohIYqnWoA5Xg1mnKxSuMvQ7Oc5QTRPCu1AoZjKLrZX0zq_BLi' +
  'kjn93NRiiM9QQBTsB7BKhsOYMdZw';

const PYTHON_EKEY1_MASTER_KEY = 'master-key-2024';
