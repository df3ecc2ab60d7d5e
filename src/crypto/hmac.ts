/**
 * HMAC-SHA256 request signing for institution API clients. A client signs {@link canonicalRequest} with its shared
 * secret and sends the lowercase hex result with the method, path, timestamp and nonce it signed. Checking that the
 * timestamp is recent and the nonce unused (replay protection) is the caller's job: it needs storage.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The parts of an HTTP request that are signed. */
export interface SignedRequestParts {
  /** HTTP method; upper-cased before signing. */
  readonly method: string;
  /** Request path with its query string, exactly as sent (e.g. `/graphql?op=x`). */
  readonly path: string;
  /** As sent by the client (e.g. Unix seconds); compared as text. */
  readonly timestamp: string;
  /** Unique per request. */
  readonly nonce: string;
  /** Raw request body; absent or empty for none. Strings are signed as UTF-8. */
  readonly body?: string | Uint8Array;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * The string that is signed: method (upper case), path, timestamp, nonce and the lowercase hex SHA-256 of the body,
 * joined by `\n`, with no trailing newline. For `GET /x` at `1700000000` with nonce `n1` and no body:
 * `GET\n/x\n1700000000\nn1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
 *
 * @throws TypeError if the method, path, timestamp or nonce contains a newline (the result would be ambiguous).
 */
export function canonicalRequest(parts: SignedRequestParts): string {
  const fields = [parts.method.toUpperCase(), parts.path, parts.timestamp, parts.nonce];
  if (fields.some((field) => /[\r\n]/.test(field))) {
    throw new TypeError('signed request fields must not contain newlines');
  }
  const bodyHash = createHash('sha256')
    .update(parts.body ?? '')
    .digest('hex');
  return [...fields, bodyHash].join('\n');
}

/**
 * HMAC-SHA256 of {@link canonicalRequest} under the client's secret (a string is used as its UTF-8 bytes).
 *
 * @returns 64 lowercase hex digits.
 * @throws TypeError as {@link canonicalRequest} does.
 */
export function signRequest(secret: string | Uint8Array, parts: SignedRequestParts): string {
  return createHmac('sha256', secret).update(canonicalRequest(parts), 'utf8').digest('hex');
}

/**
 * Checks a {@link signRequest} signature (hex, either case) in constant time. Never throws: a malformed signature
 * or unsignable parts give false.
 */
export function verifyRequestSignature(
  secret: string | Uint8Array,
  parts: SignedRequestParts,
  signatureHex: string,
): boolean {
  if (!HEX_SHA256.test(signatureHex)) return false;
  let expected: Buffer;
  try {
    expected = Buffer.from(signRequest(secret, parts), 'hex');
  } catch {
    return false;
  }
  return timingSafeEqual(expected, Buffer.from(signatureHex, 'hex'));
}
