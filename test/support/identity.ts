/** Logging in through the real API, for tests: demo accounts, SMS codes read from the outbox, signed requests. */
import { randomUUID } from 'node:crypto';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LoginWithSmsDocument, RequestSmsCodeDocument } from '../../schema/generated/graphql.ts';
import { signRequest } from '../../src/crypto/index.ts';
import type { TestServer } from './harness.ts';

/** The demo users every tenant has (src/domains/identity/demo-seed.ts). */
export const DEMO = {
  BIDDER: '13800000001',
  TENDEREE: '13800000002',
  AGENT: '13800000003',
  INSTITUTION: '13800000004',
  ADMIN: '13800000005',
  MULTI_ROLE: '13800000006',
} as const;

let addresses = 0;
/** A distinct client address per call, so per-address SMS limits never couple unrelated tests. */
export function nextAddress(): string {
  addresses += 1;
  return `10.${(process.pid >> 8) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
}

/** The newest login code the default SMS sender wrote to the outbox for this mobile. */
export async function latestSmsCode(server: TestServer, mobile: string): Promise<string> {
  const message = await server.app.db.smsOutbox.findFirst({ where: { mobile }, orderBy: { createdAt: 'desc' } });
  const code = message?.text.match(/\d{6}/)?.[0];
  if (!code) throw new Error(`no SMS code in the outbox for ${mobile}`);
  return code;
}

/** requestSmsCode, read the code from the outbox, loginWithSms: the token, or a thrown error. */
export async function smsLogin(server: TestServer, tenant: string, mobile: string): Promise<string> {
  const client = server.client({ tenant, headers: { 'x-forwarded-for': nextAddress() } });
  const requested = await client.request(RequestSmsCodeDocument, { input: { mobile } });
  if (requested.requestSmsCode.__typename !== 'SmsCodeSent') throw new Error(`requestSmsCode: ${JSON.stringify(requested)}`);
  const code = await latestSmsCode(server, mobile);
  const { loginWithSms } = await client.request(LoginWithSmsDocument, { input: { mobile, code } });
  if (loginWithSms.__typename !== 'SessionToken') throw new Error(`loginWithSms: ${JSON.stringify(loginWithSms)}`);
  return loginWithSms.token;
}

export interface ApiClientCredentials {
  clientId: string;
  secret: string;
}

/** Sends a GraphQL operation as an institution API client, signed (HMAC) unless `sign` changes the headers. */
export async function signedRequest<R, V>(
  server: TestServer,
  credentials: ApiClientCredentials,
  document: TypedDocumentNode<R, V> | DocumentNode,
  variables?: V,
  options: { timestamp?: string; nonce?: string; headers?: Record<string, string>; secret?: string; sendBody?: string } = {},
): Promise<{ status: number; body: { data?: R; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }; nonce: string }> {
  const body = JSON.stringify({ query: print(document), variables });
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomUUID();
  const signature = signRequest(options.secret ?? credentials.secret, { method: 'POST', path: '/graphql', timestamp, nonce, body });
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-client-id': credentials.clientId,
      'x-timestamp': timestamp,
      'x-nonce': nonce,
      'x-signature': signature,
      ...options.headers,
    },
    body: options.sendBody ?? body,
  });
  return { status: response.status, body: (await response.json()) as never, nonce };
}

/** Logs in each `[key, tenant, mobile]` in turn (one tenant's codes at a time, as the SMS limits expect); tokens by key. */
export async function smsLogins(server: TestServer, logins: ReadonlyArray<readonly [string, string, string]>): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [key, tenant, mobile] of logins) tokens[key] = await smsLogin(server, tenant, mobile);
  return tokens;
}
