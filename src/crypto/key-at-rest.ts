/**
 * Private keys at rest (sealing keys, CA keys), encrypted under a master key from configuration.
 *
 * Scheme `ekey1`: a 32-byte key is derived from the master key (UTF-8) with scrypt (N = 2^14, r = 8, p = 1) and a
 * fresh 16-byte salt, and the PEM text is encrypted with AES-256-GCM (12-byte IV, 16-byte tag, the ASCII string
 * `ekey1` as additional data). The stored form is one ASCII string,
 * `ekey1.<salt>.<iv>.<tag>.<ciphertext>`, each part unpadded base64url. Authenticated encryption makes a wrong master
 * key fail with certainty, unlike padding checks on PKCS#8 PBES2/CBC.
 *
 * Master-key rotation: {@link reencryptPrivateKey} (decrypt under the old key, encrypt under the new one) for every
 * stored key, then drop the old master key; values encrypted under it no longer open with the new one and vice versa.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes } from 'node:crypto';
import { WrongMasterKeyError } from './errors.ts';
import { decodeBase64Url } from './key-objects.ts';
import { deriveScrypt, type ScryptCost } from './scrypt.ts';

const SCHEME = 'ekey1';
const COST: ScryptCost = { logN: 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts a private key PEM under a master key (scheme `ekey1`, see the module documentation).
 *
 * @returns the `ekey1.…` string to store.
 * @throws TypeError if `privateKeyPem` is not an unencrypted private key PEM or `masterKey` is empty.
 */
export async function encryptPrivateKey(privateKeyPem: string, masterKey: string): Promise<string> {
  assertMasterKey(masterKey);
  try {
    createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new TypeError('not an unencrypted private key PEM', { cause });
  }
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveScrypt(masterKey, salt, 32, COST);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(SCHEME, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(privateKeyPem, 'utf8'), cipher.final()]);
  key.fill(0);
  return [SCHEME, salt, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/**
 * Decrypts a value produced by {@link encryptPrivateKey}.
 *
 * @returns the original private key PEM, byte for byte.
 * @throws WrongMasterKeyError if the master key is not the one used, or the stored value was altered.
 * @throws TypeError if `encrypted` is not an `ekey1` string at all, or `masterKey` is empty.
 */
export async function decryptPrivateKey(encrypted: string, masterKey: string): Promise<string> {
  assertMasterKey(masterKey);
  const parts = encrypted.split('.');
  const [scheme, ...rest] = parts;
  const [salt, iv, tag, ciphertext] = rest.map(decodeBase64Url);
  if (
    parts.length !== 5 ||
    scheme !== SCHEME ||
    salt?.length !== SALT_BYTES ||
    iv?.length !== IV_BYTES ||
    tag?.length !== TAG_BYTES ||
    !ciphertext?.length
  ) {
    throw new TypeError('not an ekey1 encrypted private key');
  }
  const key = await deriveScrypt(masterKey, salt, 32, COST);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(SCHEME, 'ascii'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new WrongMasterKeyError(undefined, { cause });
  } finally {
    key.fill(0);
  }
}

/**
 * Master-key rotation for one stored value: decrypts under `oldMasterKey` and encrypts under `newMasterKey` with a
 * fresh salt and IV.
 *
 * @throws WrongMasterKeyError if `oldMasterKey` does not open the value.
 */
export async function reencryptPrivateKey(
  encrypted: string,
  oldMasterKey: string,
  newMasterKey: string,
): Promise<string> {
  return encryptPrivateKey(await decryptPrivateKey(encrypted, oldMasterKey), newMasterKey);
}

function assertMasterKey(masterKey: string): void {
  if (masterKey.length === 0) throw new TypeError('the master key must not be empty');
}
