/** Random tokens, and one-way storage of secrets that the server only ever needs to check, never to use. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url } from './key-objects.ts';
import { deriveScrypt, type ScryptCost } from './scrypt.ts';

/** One of OWASP's equivalent scrypt settings (16 MiB, about 250 ms of one core). */
const COST: ScryptCost = { logN: 14, r: 8, p: 5 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const STORED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
/** N * r * p above which a stored hash is refused: about six times the current cost. */
const MAX_SCRYPT_WORK = 2 ** 22;

/**
 * `bytes` random bytes from the system CSPRNG as unpadded base64url (43 characters for the default 32 bytes).
 *
 * @throws RangeError if `bytes` is not a positive integer.
 */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError('bytes must be a positive integer');
  return randomBytes(bytes).toString('base64url');
}

/**
 * One-way hash of a secret (a password, a one-time code, a bearer API key) for storage:
 * `$scrypt$ln=14,r=8,p=5$<salt>$<hash>`, a fresh 16-byte salt, a 32-byte hash, both unpadded base64url. The cost is
 * stored with the hash so it can be raised later without invalidating existing hashes. Runs on the thread pool, but
 * costs ~250 ms of CPU: not for checks on every request. Secrets the server must reuse, such as HMAC request-signing
 * secrets, cannot be hashed; encrypt those instead.
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveScrypt(secret, salt, HASH_BYTES, COST);
  return `$scrypt$ln=${COST.logN},r=${COST.r},p=${COST.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Checks a secret against a {@link hashSecret} value with a constant-time comparison. Stored values with an
 * unreasonable cost (over 256 MiB, N > 2^20, or N * r * p > 2^22) or any other malformation are rejected rather
 * than computed.
 * Never throws.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  if (!match) return false;
  const [, logN, r, p, saltText, hashText] = match;
  const cost: ScryptCost = { logN: Number(logN), r: Number(r), p: Number(p) };
  const salt = decodeBase64Url(saltText ?? '');
  const expected = decodeBase64Url(hashText ?? '');
  if (
    !salt?.length ||
    !expected?.length ||
    cost.logN < 1 ||
    cost.logN > 20 ||
    cost.r < 1 ||
    cost.p < 1 ||
    128 * 2 ** cost.logN * cost.r > MAX_SCRYPT_MEMORY ||
    2 ** cost.logN * cost.r * cost.p > MAX_SCRYPT_WORK
  ) {
    return false;
  }
  try {
    const actual = await deriveScrypt(secret, salt, expected.length, cost);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}
