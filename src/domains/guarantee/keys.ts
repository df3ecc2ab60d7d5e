import type { Prisma, PrismaClient } from '../../db/generated/prisma/client.ts';
import { createCa, decryptPrivateKey, encryptPrivateKey, generateSealingKeyPair, randomToken, reencryptPrivateKey } from '../../crypto/index.ts';

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * The sealing master key: SEALING_MASTER_KEY from the environment, or (demo) a random one generated on first start
 * and kept in the Setting table so instances agree. Tenant sealing keys and institution signing keys are stored
 * encrypted under it. To rotate it, run `npm run keys:rotate -- <old> <new>` (re-encrypts every stored private key)
 * and then restart with SEALING_MASTER_KEY=<new>.
 */
export async function sealingMasterKey(db: PrismaClient, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.SEALING_MASTER_KEY) return env.SEALING_MASTER_KEY;
  await db.setting.createMany({ data: [{ key: 'sealing-master-key', value: randomToken(32) }], skipDuplicates: true });
  return (await db.setting.findUniqueOrThrow({ where: { key: 'sealing-master-key' } })).value;
}

/** Private keys decrypted once per process (scrypt makes each decryption cost tens of milliseconds). */
const decrypted = new Map<string, Promise<string>>();

function openPrivateKey(cacheKey: string, encrypted: string, masterKey: string): Promise<string> {
  const key = `${cacheKey}:${encrypted.slice(0, 24)}:${masterKey.length}:${masterKey.slice(0, 4)}`;
  let pending = decrypted.get(key);
  if (!pending) {
    pending = decryptPrivateKey(encrypted, masterKey);
    pending.catch(() => decrypted.delete(key));
    decrypted.set(key, pending);
  }
  return pending;
}

export interface SealingKeyPair {
  id: string;
  publicKeyPem: string;
  privateKeyPem(): Promise<string>;
}

/** Sealing keys already read by this process, per database (tests run several), tenant and master key. */
const currentKeys = new WeakMap<PrismaClient, Map<string, Promise<SealingKeyPair>>>();

/**
 * The tenant's newest sealing key, made on first use (several instances racing agree on version 1). Read once per
 * process: institution views seal several fields of every section they show with it.
 */
export function currentSealingKey(db: PrismaClient, tenantId: string, masterKey: string): Promise<SealingKeyPair> {
  let perDb = currentKeys.get(db);
  if (!perDb) currentKeys.set(db, (perDb = new Map()));
  const cacheKey = `${tenantId}:${masterKey}`;
  let pending = perDb.get(cacheKey);
  if (!pending) {
    pending = loadCurrentSealingKey(db, tenantId, masterKey);
    pending.catch(() => perDb.delete(cacheKey));
    perDb.set(cacheKey, pending);
  }
  return pending;
}

async function loadCurrentSealingKey(db: PrismaClient, tenantId: string, masterKey: string): Promise<SealingKeyPair> {
  let row = await db.sealingKey.findFirst({ where: { tenantId }, orderBy: { version: 'desc' } });
  if (!row) {
    const pair = await generateSealingKeyPair();
    await db.sealingKey.createMany({
      data: [{ tenantId, version: 1, publicKeyPem: pair.publicKeyPem, privateKeyEncrypted: await encryptPrivateKey(pair.privateKeyPem, masterKey) }],
      skipDuplicates: true,
    });
    row = await db.sealingKey.findFirstOrThrow({ where: { tenantId }, orderBy: { version: 'desc' } });
  }
  return sealingKeyPair(row, masterKey);
}

/** A sealing key by id (older letters keep the key version that sealed them). */
export async function sealingKeyById(db: Db, id: string, masterKey: string): Promise<SealingKeyPair> {
  return sealingKeyPair(await db.sealingKey.findUniqueOrThrow({ where: { id } }), masterKey);
}

function sealingKeyPair(row: { id: string; publicKeyPem: string; privateKeyEncrypted: string }, masterKey: string): SealingKeyPair {
  return { id: row.id, publicKeyPem: row.publicKeyPem, privateKeyPem: () => openPrivateKey(row.id, row.privateKeyEncrypted, masterKey) };
}

export interface SigningKey {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * The institution's letter-signing key. Demo: a self-signed certificate in the institution's name, made on first
 * use; a real institution's certificate from its CA would be loaded here instead.
 */
export async function institutionSigningKey(db: PrismaClient, institution: { id: string; name: string }, masterKey: string): Promise<SigningKey> {
  let row = await db.institutionSigningKey.findUnique({ where: { institutionId: institution.id } });
  if (!row) {
    const made = await createCa({ commonName: `${institution.name} 电子保函签章`, organization: institution.name, validDays: 3650 });
    await db.institutionSigningKey.createMany({
      data: [{ institutionId: institution.id, certificatePem: made.certPem, privateKeyEncrypted: await encryptPrivateKey(made.keyPem, masterKey) }],
      skipDuplicates: true,
    });
    row = await db.institutionSigningKey.findUniqueOrThrow({ where: { institutionId: institution.id } });
  }
  return { certificatePem: row.certificatePem, privateKeyPem: await openPrivateKey(row.id, row.privateKeyEncrypted, masterKey) };
}

/**
 * Re-encrypts every stored private key (tenant sealing keys, institution signing keys) from `oldKey` to `newKey`, in
 * one transaction: either all move or none. Returns how many keys moved.
 */
export async function rotateSealingMasterKey(db: PrismaClient, oldKey: string, newKey: string): Promise<number> {
  const [sealing, signing] = await Promise.all([db.sealingKey.findMany(), db.institutionSigningKey.findMany()]);
  const sealingUpdates = await Promise.all(
    sealing.map(async (row) => ({ id: row.id, privateKeyEncrypted: await reencryptPrivateKey(row.privateKeyEncrypted, oldKey, newKey) })),
  );
  const signingUpdates = await Promise.all(
    signing.map(async (row) => ({ id: row.id, privateKeyEncrypted: await reencryptPrivateKey(row.privateKeyEncrypted, oldKey, newKey) })),
  );
  await db.$transaction(async (tx) => {
    for (const row of sealingUpdates) await tx.sealingKey.update({ where: { id: row.id }, data: { privateKeyEncrypted: row.privateKeyEncrypted } });
    for (const row of signingUpdates) await tx.institutionSigningKey.update({ where: { id: row.id }, data: { privateKeyEncrypted: row.privateKeyEncrypted } });
    const stored = await tx.setting.findUnique({ where: { key: 'sealing-master-key' } });
    if (stored && stored.value === oldKey) await tx.setting.update({ where: { key: 'sealing-master-key' }, data: { value: newKey } });
  });
  decrypted.clear();
  return sealingUpdates.length + signingUpdates.length;
}
