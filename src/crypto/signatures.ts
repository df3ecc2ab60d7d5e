/**
 * RSA signatures with `node:crypto`: login challenges signed with an enterprise certificate's key, and signatures over
 * the SHA-256 digest of a document (a guarantee letter). All signatures are RSASSA-PKCS1-v1_5 with SHA-256 and travel
 * as standard padded base64.
 */
import { constants, createHash, privateEncrypt, publicDecrypt, sign, timingSafeEqual, verify } from 'node:crypto';
import { decodeBase64, publicKeyFrom, rsaPrivateKeyFrom, rsaPublicKeyFrom } from './key-objects.ts';

/** DER prefix of a PKCS#1 DigestInfo for SHA-256 (RFC 8017, section 9.2, note 1); the 32 digest bytes follow it. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Lowercase hex SHA-256 of the bytes, or of the UTF-8 encoding of a string. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Signs a login challenge: RSA-SHA256 (PKCS#1 v1.5) over the UTF-8 bytes of `challenge`, as `openssl dgst -sha256
 * -sign` would. Meant for clients and tests; the server only verifies.
 *
 * @param keyPem PKCS#1 or PKCS#8 PEM of an RSA private key.
 * @returns the signature in base64.
 * @throws TypeError if the key is not an unencrypted RSA private key.
 */
export function signChallenge(keyPem: string, challenge: string): string {
  return sign('sha256', Buffer.from(challenge, 'utf8'), rsaPrivateKeyFrom(keyPem)).toString('base64');
}

/**
 * Checks a {@link signChallenge} signature against the public key of a certificate (or a public key PEM). Only the
 * signature is checked: validate the certificate itself with `verifyCertificateChain` first. Never throws.
 */
export function verifyChallengeSignature(certPem: string, challenge: string, signatureB64: string): boolean {
  const signature = decodeBase64(signatureB64);
  if (!signature) return false;
  try {
    return verify('sha256', Buffer.from(challenge, 'utf8'), rsaPublicKeyFrom(certPem), signature);
  } catch {
    return false;
  }
}

/**
 * Signs a document given only its SHA-256 digest. What is signed is the PKCS#1 v1.5 encoding of
 * DigestInfo{sha256, digest}: exactly the standard RSA-SHA256 signature of the document itself, so
 * `crypto.verify('sha256', documentBytes, cert, signature)` and `openssl dgst -sha256 -verify` accept it and
 * `signDigest(key, sha256Hex(document))` equals `signChallenge(key, document)` for a text document. The digest is
 * not hashed a second time.
 *
 * @param digestHex the document's SHA-256 as 64 hex digits (as returned by {@link sha256Hex}).
 * @returns the signature in base64.
 * @throws TypeError if the digest is not 64 hex digits or the key is not an unencrypted RSA private key.
 */
export function signDigest(keyPem: string, digestHex: string): string {
  if (!SHA256_HEX.test(digestHex)) throw new TypeError('digest must be a SHA-256 as 64 hex digits');
  const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, Buffer.from(digestHex, 'hex')]);
  return privateEncrypt({ key: rsaPrivateKeyFrom(keyPem), padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString(
    'base64',
  );
}

/**
 * Checks a {@link signDigest} signature (equivalently, an RSA-SHA256 signature of the document) against a digest.
 *
 * @param certOrPublicKeyPem a certificate PEM or an SPKI / PKCS#1 public key PEM.
 * @returns true only for a valid signature by that key over exactly that digest. Never throws.
 */
export function verifyDigestSignature(certOrPublicKeyPem: string, digestHex: string, signatureB64: string): boolean {
  const signature = decodeBase64(signatureB64);
  if (!signature || !SHA256_HEX.test(digestHex)) return false;
  try {
    const key = publicKeyFrom(certOrPublicKeyPem);
    if (key.asymmetricKeyType !== 'rsa') return false;
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    const expected = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, Buffer.from(digestHex, 'hex')]);
    return recovered.length === expected.length && timingSafeEqual(recovered, expected);
  } catch {
    return false;
  }
}
