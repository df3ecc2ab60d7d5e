/**
 * A sealed envelope cannot be opened: it was tampered with (the AES-GCM tag does not match), it is truncated or not an
 * envelope at all, or the private key is not the one it was sealed for. The cases are deliberately not told apart.
 */
export class SealBrokenError extends Error {
  override name = 'SealBrokenError';
  constructor(message = 'the sealed envelope cannot be opened with this key', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A private key encrypted at rest cannot be decrypted: the master key is not the one it was encrypted under, or the
 * stored value was altered (AES-GCM authentication failed).
 */
export class WrongMasterKeyError extends Error {
  override name = 'WrongMasterKeyError';
  constructor(message = 'the private key was not encrypted under this master key', options?: ErrorOptions) {
    super(message, options);
  }
}
