import { randomToken } from '../crypto/index.ts';
import type { PrismaClient } from '../db/generated/prisma/client.ts';

/**
 * A random id kept in the Setting table: instances on one database share it, other databases differ. Pub/sub topics
 * carry it (the live events', the session revocations'), so servers of different databases sharing a Redis never mix
 * their messages.
 */
export async function databaseChannel(db: PrismaClient): Promise<string> {
  const key = 'event-channel';
  await db.setting.createMany({ data: [{ key, value: randomToken(12) }], skipDuplicates: true });
  return (await db.setting.findUniqueOrThrow({ where: { key } })).value;
}
