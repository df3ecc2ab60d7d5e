/**
 * Rotates the sealing master key: re-encrypts every tenant sealing key and institution signing key from the old
 * master key to the new one, in one transaction. Usage (with the same DATABASE_URL / DATA_DIR as the server):
 *
 *   npm run keys:rotate -- <old master key> <new master key>
 *
 * then restart every instance with SEALING_MASTER_KEY=<new master key>. With no SEALING_MASTER_KEY set, the demo key
 * generated on first start lives in the Setting table; pass it as the old key (the script prints it if you give "-").
 */
import { resolve } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { rotateSealingMasterKey, sealingMasterKey } from '../src/domains/guarantee/keys.ts';

const [oldArg, newKey] = process.argv.slice(2);
if (!oldArg || !newKey || newKey.length < 16) {
  console.error('usage: npm run keys:rotate -- <old master key | -> <new master key (at least 16 characters)>');
  process.exit(2);
}
const url = process.env.DATABASE_URL || undefined;
const database = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: resolve(process.env.DATA_DIR || './data', 'pglite') });
try {
  const oldKey = oldArg === '-' ? await sealingMasterKey(database.prisma, {}) : oldArg;
  const moved = await rotateSealingMasterKey(database.prisma, oldKey, newKey);
  console.log(`re-encrypted ${moved} keys; now set SEALING_MASTER_KEY to the new key and restart`);
} finally {
  await database.close();
}
