import { AppError } from '../../errors.ts';
import type { TenantContext, TenantRegistry } from '../../tenants/registry.ts';
import type { ProductStatus, ProjectType, TenantFile } from '../../tenants/tenant-file.ts';

type ProductConfig = TenantFile['institutions'][number]['products'][number];
interface ProductRow {
  tenantId: string;
  code: string;
  name: string;
  status: ProductStatus;
  retiredAt: Date | null;
}

/** The notices the Xinjiang 2025 manual shows on products that may not be applied for (1.2.1). */
export const PRODUCT_NOTICES: Record<Exclude<ProductStatus, 'ACTIVE'>, string> = {
  PAUSED: '暂停中,请勿申请',
  TESTING: '测试中,请勿使用!',
};

/** A product that may not be applied for; `details.notice` carries what the platform shows on it. */
export class ProductUnavailableError extends AppError {
  override name = 'ProductUnavailableError';
  constructor(productName: string, notice: string, field = 'productId') {
    super('PRODUCT_UNAVAILABLE', `${productName}: ${notice}`, field, { notice });
  }
}

/** The product's entry in its tenant file: the settings that have no column of their own. */
export function productConfig(ctx: { tenants: TenantRegistry }, product: Pick<ProductRow, 'tenantId' | 'code'>): ProductConfig | undefined {
  const tenant = ctx.tenants.byId(product.tenantId);
  for (const institution of tenant?.config.institutions ?? []) {
    const found = institution.products.find((p) => p.code === product.code);
    if (found) return found;
  }
  return undefined;
}

export function productNotice(product: Pick<ProductRow, 'status' | 'retiredAt'>): string | null {
  if (product.retiredAt) return '已下架,请勿申请';
  return product.status === 'ACTIVE' ? null : PRODUCT_NOTICES[product.status];
}

/** Refuses a paused, testing or retired product with the notice the platform shows on it. */
export function assertProductAvailable(product: ProductRow, field = 'productId'): void {
  const notice = productNotice(product);
  if (notice) throw new ProductUnavailableError(product.name, notice, field);
}

/** The project type's settings in this tenant, or PROJECT_TYPE_NOT_OFFERED naming `field`. */
export function requireProjectType(tenant: TenantContext, type: ProjectType, field: string) {
  const settings = tenant.config.projectTypes[type];
  if (!settings) {
    throw new AppError('PROJECT_TYPE_NOT_OFFERED', `${tenant.name} does not offer ${type} projects`, field);
  }
  return settings;
}
