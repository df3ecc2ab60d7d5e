/**
 * Creates prisma/migrations/<timestamp>_<name>/migration.sql from the change in prisma/schema.prisma.
 * Usage: npm run db:migration:create -- <name>
 * Uses DATABASE_URL's server for the shadow database when set, an in-memory PGlite otherwise.
 */
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { createMigration, postgresMigrationFactory } from '../src/db/migrations.ts';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run db:migration:create -- <name>');
  process.exit(2);
}
const url = process.env.DATABASE_URL;
const pglite = url ? undefined : new PGlite();
const factory = url ? postgresMigrationFactory(url) : new PrismaPGlite(pglite!);
const folder = await createMigration(factory, name);
await pglite?.close();
console.log(folder ? `created ${folder}` : 'no changes: the migrations already match prisma/schema.prisma');
