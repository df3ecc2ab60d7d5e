import type { Prisma, PrismaClient } from '../db/generated/prisma/client.ts';
import type { LoadedTenant } from './load.ts';
import type { TenantFile } from './tenant-file.ts';
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
      await syncCatalogue(tx, row.id, tenant.file);
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
      trustedCaRootPems: tenant.trustedCaRootPems,
    })),
  );
}

/** Upserts a tenant's institutions and products by code; ones the file no longer lists are retired, not deleted. */
async function syncCatalogue(tx: Prisma.TransactionClient, tenantId: string, file: TenantFile): Promise<void> {
  const now = new Date();
  const institutionCodes: string[] = [];
  const productCodes: string[] = [];
  for (const [position, institution] of file.institutions.entries()) {
    institutionCodes.push(institution.code);
    const fields = { name: institution.name, kind: institution.kind, online: institution.online, position, retiredAt: null };
    const row = await tx.institution.upsert({
      where: { tenantId_code: { tenantId, code: institution.code } },
      create: { tenantId, code: institution.code, ...fields },
      update: fields,
    });
    for (const [index, product] of institution.products.entries()) {
      productCodes.push(product.code);
      const productFields = {
        institutionId: row.id,
        name: product.name,
        rate: product.rate,
        minimumPremium: product.minimumPremium,
        issuance: product.issuance,
        status: product.status,
        position: index,
        retiredAt: null,
      };
      await tx.product.upsert({
        where: { tenantId_code: { tenantId, code: product.code } },
        create: { tenantId, code: product.code, ...productFields },
        update: productFields,
      });
    }
  }
  await tx.product.updateMany({ where: { tenantId, code: { notIn: productCodes }, retiredAt: null }, data: { retiredAt: now } });
  await tx.institution.updateMany({ where: { tenantId, code: { notIn: institutionCodes }, retiredAt: null }, data: { retiredAt: now } });
}
