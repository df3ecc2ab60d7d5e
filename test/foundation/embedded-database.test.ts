import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TenantsDocument } from '../../schema/generated/graphql.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';
import { GraphQLClient } from 'graphql-request';

const dir = await mkdtemp(join(tmpdir(), 'eg-data-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function startOnDataDir() {
  return startServer({ database: { kind: 'pglite', dataDir: join(dir, 'pglite') }, port: 0, host: '127.0.0.1', logger: createLogger('silent') });
}

describe('the embedded database (npm start without DATABASE_URL)', () => {
  it('is created and migrated on first start and keeps its data across restarts', async () => {
    const first = await startOnDataDir();
    const before = await new GraphQLClient(first.url).request(TenantsDocument, {});
    const migrations = await first.database.prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM _prisma_migrations`;
    await first.close();

    const second = await startOnDataDir();
    const after = await new GraphQLClient(second.url).request(TenantsDocument, {});
    const again = await second.database.prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM _prisma_migrations`;
    await second.close();

    expect(before.tenants.length).toBeGreaterThan(0);
    expect(after.tenants.map((tenant) => tenant.id)).toEqual(before.tenants.map((tenant) => tenant.id));
    expect(Number(again[0]!.n)).toBe(Number(migrations[0]!.n));
  });
});
