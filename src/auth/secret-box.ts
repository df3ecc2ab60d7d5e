/**
 * Secrets the server must use again (institution API client secrets, for HMAC), encrypted at rest with AES-256-GCM
 * under a key derived from SECRET_KEY. Stored form: `sbox1.<iv>.<tag>.<ciphertext>`, each part base64url. Unlike
 * `encryptPrivateKey` (scrypt per call, for rarely used private keys), opening one costs microseconds: SECRET_KEY is
 * a random 32-byte value, so a plain SHA-256 derivation suffices.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const SCHEME = 'sbox1';

/** The 32-byte AES key for a SECRET_KEY value. */
export function secretBoxKey(secretKey: string): Buffer {
  return createHash('sha256').update(`e-guarantee secret box\n${secretKey}`, 'utf8').digest();
}

export function sealSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(SCHEME));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SCHEME, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The plaintext, or null when the value was altered or sealed under another key. Never throws. */
export function openSecret(key: Buffer, sealed: string): string | null {
  const [scheme, iv, tag, ciphertext, ...rest] = sealed.split('.');
  if (scheme !== SCHEME || !iv || !tag || !ciphertext || rest.length > 0) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(SCHEME));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
