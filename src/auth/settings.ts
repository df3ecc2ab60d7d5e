import type { PrismaClient } from '../db/generated/prisma/client.ts';
import { randomToken } from '../crypto/index.ts';

/** The server-wide secrets. */
export interface ServerSecrets {
  /** Signs session tokens (HS256). */
  sessionSecret: string;
  /** Encrypts API client secrets and keys the hashes of SMS codes. */
  secretKey: string;
}

/**
 * SESSION_SECRET and SECRET_KEY from the environment when set; otherwise a random value generated once and kept in
 * the Setting table (insert-if-absent, then read), so every instance on the same database agrees. Production should
 * set both in the environment: a secret in the same database as what it protects protects less.
 */
export async function loadServerSecrets(db: PrismaClient, env: NodeJS.ProcessEnv = process.env): Promise<ServerSecrets> {
  return {
    sessionSecret: env.SESSION_SECRET || (await storedSecret(db, 'session-secret')),
    secretKey: env.SECRET_KEY || (await storedSecret(db, 'secret-key')),
  };
}

async function storedSecret(db: PrismaClient, key: string): Promise<string> {
  await db.setting.createMany({ data: [{ key, value: randomToken(32) }], skipDuplicates: true });
  return (await db.setting.findUniqueOrThrow({ where: { key } })).value;
}
