import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Reads a public key from a certificate PEM, an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM, or a private
 * key PEM (whose public half is taken).
 *
 * @throws TypeError if nothing usable can be read.
 */
export function publicKeyFrom(certOrKeyPem: string): KeyObject {
  try {
    if (certOrKeyPem.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(certOrKeyPem).publicKey;
    return createPublicKey(certOrKeyPem);
  } catch (cause) {
    throw new TypeError('not a certificate or public key PEM', { cause });
  }
}

/** {@link publicKeyFrom}, additionally requiring an RSA key. @throws TypeError otherwise. */
export function rsaPublicKeyFrom(certOrKeyPem: string): KeyObject {
  const key = publicKeyFrom(certOrKeyPem);
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`expected an RSA key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * Reads an unencrypted RSA private key from a PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) PEM.
 *
 * @throws TypeError if the PEM is not an unencrypted RSA private key.
 */
export function rsaPrivateKeyFrom(keyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw new TypeError('not an unencrypted private key PEM', { cause });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`expected an RSA key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Decodes canonical, padded standard base64; `null` for anything else (Buffer.from would silently skip junk). */
export function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** Decodes unpadded base64url; `null` for anything else. */
export function decodeBase64Url(text: string): Buffer | null {
  return BASE64URL.test(text) && text.length % 4 !== 1 ? Buffer.from(text, 'base64url') : null;
}
