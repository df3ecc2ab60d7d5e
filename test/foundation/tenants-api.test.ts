import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantDocument, TenantsDocument } from '../../schema/generated/graphql.ts';
import { graphqlErrors, startTestServer, type TestServer } from '../support/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('tenants over HTTP', () => {
  it('lists every tenant with its parent and children', async () => {
    const { tenants } = await server.client().request(TenantsDocument, {});
    const codes = tenants.map((tenant) => tenant.code);
    expect(codes).toContain('xinjiang');
    const xinjiang = tenants.find((tenant) => tenant.code === 'xinjiang')!;
    expect(xinjiang.name).toMatch(/新疆/);
    expect(xinjiang.parent).toBeNull();
    expect(codes).toEqual([...codes].sort());
  });

  it('reads one tenant by code, or the X-Tenant header when no code is given', async () => {
    const byCode = await server.client().request(TenantDocument, { code: 'xinjiang' });
    expect(byCode.tenant.code).toBe('xinjiang');
    const byHeader = await server.client({ tenant: 'xinjiang' }).request(TenantDocument, {});
    expect(byHeader.tenant.id).toBe(byCode.tenant.id);
  });

  it('answers an unknown tenant code with TENANT_NOT_FOUND naming the field', async () => {
    const [error] = await graphqlErrors(server.client().request(TenantDocument, { code: 'atlantis' }));
    expect(error?.extensions).toMatchObject({ code: 'TENANT_NOT_FOUND', field: 'code' });
  });

  it('answers an unknown X-Tenant header with TENANT_NOT_FOUND and a malformed one with TENANT_HEADER_MALFORMED', async () => {
    const [unknown] = await graphqlErrors(server.client({ tenant: 'atlantis' }).request(TenantsDocument, {}));
    expect(unknown?.extensions).toMatchObject({ code: 'TENANT_NOT_FOUND', field: 'X-Tenant' });
    const [malformed] = await graphqlErrors(server.client({ tenant: 'Robert"); DROP' }).request(TenantsDocument, {}));
    expect(malformed?.extensions).toMatchObject({ code: 'TENANT_HEADER_MALFORMED', field: 'X-Tenant' });
  });

  it('asks for a tenant when an operation needs one and none was given', async () => {
    const [error] = await graphqlErrors(server.client().request(TenantDocument, {}));
    expect(error?.extensions?.code).toBe('TENANT_REQUIRED');
  });

  it('gives syntax and validation errors stable codes and never a stack trace', async () => {
    const post = (query: string) =>
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(
        (response) => response.json() as Promise<{ errors: Array<{ message: string; extensions: Record<string, unknown> }> }>,
      );
    const syntax = await post('{ tenants { code ');
    expect(syntax.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const validation = await post('{ tenants { noSuchField } }');
    expect(validation.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    for (const body of [syntax, validation]) {
      expect(JSON.stringify(body)).not.toMatch(/stack|\.ts:\d+|node_modules/);
    }
  });

  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/graphiql/i);
  });
});
