/** Fixtures for order tests: sections published and orders created through the real API. */
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  CreateOrderDocument,
  PublishSectionDocument,
  SubmitOrderDocument,
  TenantCatalogueDocument,
  type CreateOrderInput,
  type CreateOrderMutation,
  type PublishSectionInput,
} from '../../schema/generated/graphql.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import type { TestServer } from './harness.ts';

/** The smallest valid PNG (1×1), standing in for an opening-permit scan. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let sectionCounter = 0;
export async function publishSection(server: TestServer, adminToken: string, overrides: Partial<PublishSectionInput> = {}) {
  sectionCounter += 1;
  const { publishSection: result } = await server.client({ token: adminToken }).request(PublishSectionDocument, {
    input: {
      code: `S-${process.pid}-${sectionCounter}`,
      name: `示范工程第${sectionCounter}标段`,
      projectName: '示范工程',
      projectType: 'CONSTRUCTION',
      tendereeUscc: DEMO_ENTERPRISES.find((e) => e.key === 'tenderee')!.uscc,
      depositAmount: '300000',
      openingAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
      bidValidityDays: 90,
      ...overrides,
    },
  });
  if (result.__typename !== 'BidSection') throw new Error(`publishSection: ${JSON.stringify(result)}`);
  return result;
}

/**
 * Sends an operation as a GraphQL multipart request (the spec front ends use for uploads): `files` maps variable
 * paths such as "input.openingPermit" to the file to attach there.
 */
export async function multipart<R, V extends Record<string, unknown>>(
  server: TestServer,
  token: string,
  document: TypedDocumentNode<R, V>,
  variables: V,
  files: Record<string, { bytes: Uint8Array; name: string; type?: string }>,
): Promise<R> {
  const form = new FormData();
  const paths = Object.keys(files);
  form.set('operations', JSON.stringify({ query: print(document), variables }));
  form.set('map', JSON.stringify(Object.fromEntries(paths.map((path, i) => [String(i), [`variables.${path}`]]))));
  paths.forEach((path, i) => {
    const file = files[path]!;
    form.set(String(i), new Blob([Buffer.from(file.bytes)], { type: file.type ?? "application/octet-stream" }), file.name);
  });
  const response = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await response.json()) as { data?: R; errors?: unknown };
  if (!body.data) throw new Error(`multipart request failed: ${JSON.stringify(body)}`);
  return body.data;
}

export type CreatedOrder = Extract<CreateOrderMutation['createOrder'], { __typename: 'GuaranteeOrder' }>;

/** Creates an order, uploading the opening permit the first time an enterprise needs one. */
export async function createOrder(
  server: TestServer,
  token: string,
  input: Omit<CreateOrderInput, 'handlerName' | 'handlerMobile'> & Partial<CreateOrderInput>,
  permit?: { bytes: Uint8Array; name: string },
): Promise<CreateOrderMutation['createOrder']> {
  const variables = { input: { handlerName: '李经办', handlerMobile: '13912345678', ...input } };
  if (permit) return (await multipart(server, token, CreateOrderDocument, variables, { 'input.openingPermit': permit })).createOrder;
  return (await server.client({ token }).request(CreateOrderDocument, variables)).createOrder;
}

export function expectOrder(result: CreateOrderMutation['createOrder']): CreatedOrder {
  if (result.__typename !== 'GuaranteeOrder') throw new Error(`expected an order, got ${JSON.stringify(result)}`);
  return result;
}

export async function submit(server: TestServer, token: string, orderId: string, versions = { noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' }) {
  return (await server.client({ token }).request(SubmitOrderDocument, { input: { orderId, ...versions } })).submitOrder;
}

/** The global ids of the tenants' products, by product code. */
export async function productIdsOf(server: TestServer, tenants: readonly string[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const code of tenants) {
    const { tenant } = await server.client().request(TenantCatalogueDocument, { code });
    for (const group of tenant.institutionGroups) for (const institution of group.institutions) for (const product of institution.products) ids[product.code] = product.id;
  }
  return ids;
}
