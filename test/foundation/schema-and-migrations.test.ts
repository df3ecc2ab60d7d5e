import { readFile } from 'node:fs/promises';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { describe, expect, it } from 'vitest';
import { diffDatabaseToSchema, postgresMigrationFactory } from '../../src/db/migrations.ts';
import { printSchemaFile } from '../../src/schema.ts';
import { freshDatabase } from '../support/harness.ts';

describe('checked-in artefacts', () => {
  it('schema/schema.graphql is the printed schema (run `npm run schema:print` when this fails)', async () => {
    const checkedIn = await readFile(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printSchemaFile());
  });

  it('the checked-in migrations produce exactly prisma/schema.prisma', async () => {
    const database = await freshDatabase();
    try {
      const factory =
        database.target.kind === 'postgres'
          ? postgresMigrationFactory(database.target.url)
          : new PrismaPGlite('instance' in database.target ? database.target.instance : (undefined as never));
      const drift = await diffDatabaseToSchema(factory, { disposeAdapters: database.target.kind === 'postgres' });
      expect(drift).toBe('');
    } finally {
      await database.drop();
    }
  });
});
