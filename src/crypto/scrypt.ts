import { scrypt, type ScryptOptions } from 'node:crypto';

/** Cost parameters of scrypt: N = 2^logN, block size r, parallelism p. */
export interface ScryptCost {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/**
 * scrypt on the libuv thread pool, so that a slow derivation does not block the event loop. `maxmem` is raised to fit
 * the cost (scrypt needs 128 * N * r bytes).
 */
export function deriveScrypt(
  secret: string | Uint8Array,
  salt: Uint8Array,
  length: number,
  cost: ScryptCost,
): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** cost.logN,
    r: cost.r,
    p: cost.p,
    maxmem: 128 * 2 ** cost.logN * cost.r + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
