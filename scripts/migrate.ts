/**
 * Applies pending migrations (`npm run db:migrate`): to DATABASE_URL's PostgreSQL when set, otherwise to the
 * embedded PGlite in DATA_DIR (default ./data). `npm start` does the same on every start.
 */
import { resolve } from 'node:path';
import { openDatabase } from '../src/db/database.ts';

const url = process.env.DATABASE_URL || undefined;
const database = await openDatabase(
  url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: resolve(process.env.DATA_DIR || './data', 'pglite') },
);
const applied = await database.migrate();
await database.close();
console.log(applied.length ? `applied ${applied.join(', ')}` : 'the database is up to date');
