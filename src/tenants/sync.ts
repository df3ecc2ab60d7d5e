import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { LoadedTenant } from './load.ts';
import { TenantRegistry } from './registry.ts';

/**
 * Upserts the loaded tenant files into the database (provinces before their cities, unchanged ones skipped) and
 * returns the registry. Serialized by a transaction-level advisory lock so instances starting together agree.
 */
export async function syncTenants(db: PrismaClient, loaded: LoadedTenant[]): Promise<TenantRegistry> {
  const ordered = [...loaded].sort((a, b) => Number(a.parentCode !== null) - Number(b.parentCode !== null));
  const rows = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('tenant-sync'))`;
    const existing = new Map((await tx.tenant.findMany()).map((row) => [row.code, row]));
    const ids = new Map<string, string>();
    for (const tenant of ordered) {
      const parentId = tenant.parentCode ? (ids.get(tenant.parentCode) ?? null) : null;
      const current = existing.get(tenant.code);
      const data = {
        name: tenant.file.name,
        parentId,
        timeZone: tenant.file.timeZone,
        config: tenant.file as object,
        configHash: tenant.hash,
      };
      if (current && current.configHash === tenant.hash && current.parentId === parentId) {
        ids.set(tenant.code, current.id);
        continue;
      }
      const row = current
        ? await tx.tenant.update({ where: { id: current.id }, data })
        : await tx.tenant.create({ data: { code: tenant.code, ...data } });
      ids.set(tenant.code, row.id);
    }
    return ids;
  });
  return new TenantRegistry(
    loaded.map((tenant) => ({
      id: rows.get(tenant.code)!,
      code: tenant.code,
      name: tenant.file.name,
      parentCode: tenant.parentCode,
      config: tenant.file,
    })),
  );
}
