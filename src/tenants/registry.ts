import type { TenantFile } from './tenant-file.ts';

/** A tenant as the request context carries it: its database id and its resolved file. */
export interface TenantContext {
  id: string;
  code: string;
  name: string;
  parentCode: string | null;
  config: TenantFile;
  /** PEM certificates of the CA roots this tenant trusts for certificate login (tenants/ca/, loaded at start-up). */
  trustedCaRootPems: readonly string[];
}

/**
 * The tenants loaded at start-up. Tenant files change only with a deploy, so every instance holds them in memory
 * and a request resolves its tenant without a query.
 */
export class TenantRegistry {
  readonly #byCode = new Map<string, TenantContext>();
  readonly #byId = new Map<string, TenantContext>();

  constructor(tenants: TenantContext[]) {
    for (const tenant of tenants) {
      this.#byCode.set(tenant.code, tenant);
      this.#byId.set(tenant.id, tenant);
    }
  }

  byCode(code: string): TenantContext | undefined {
    return this.#byCode.get(code);
  }

  byId(id: string): TenantContext | undefined {
    return this.#byId.get(id);
  }

  all(): TenantContext[] {
    return [...this.#byCode.values()];
  }

  /** The cities of a province, in code order. */
  children(code: string): TenantContext[] {
    return this.all().filter((tenant) => tenant.parentCode === code).sort((a, b) => a.code.localeCompare(b.code));
  }

  /** The tenant and, for a province, its cities: the set a province admin may read. */
  withDescendants(code: string): TenantContext[] {
    const tenant = this.byCode(code);
    return tenant ? [tenant, ...this.children(code)] : [];
  }
}
