/**
 * Cryptography for the platform: enterprise certificates, sealed guarantee letters, keys at rest, document
 * signatures, HMAC request signing and secret hashing. node-forge stays behind `forge.ts`; import from here.
 */
export {
  createCa,
  isValidUscc,
  issueEnterpriseCertificate,
  readUscc,
  verifyCertificateChain,
  type CaOptions,
  type CertificateChainResult,
  type CertificateWithKey,
  type ChainFailureReason,
  type EnterpriseCertificateOptions,
} from './certificates.ts';
export { SealBrokenError, WrongMasterKeyError } from './errors.ts';
export { canonicalRequest, signRequest, verifyRequestSignature, type SignedRequestParts } from './hmac.ts';
export { decryptPrivateKey, encryptPrivateKey, reencryptPrivateKey } from './key-at-rest.ts';
export {
  SEAL_ALGORITHM,
  generateSealingKeyPair,
  parseEnvelope,
  seal,
  sealText,
  serializeEnvelope,
  unseal,
  unsealText,
  type SealedEnvelope,
  type SealingKeyPair,
} from './sealing.ts';
export { hashSecret, randomToken, verifySecret } from './secrets.ts';
export { sha256Hex, signChallenge, signDigest, verifyChallengeSignature, verifyDigestSignature } from './signatures.ts';
