import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { createFastGraphQL, regularMediaType } from '../../src/http/fast-graphql.ts';
import { readJsonBody } from '../../src/http/json-body.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO } from '../support/identity.ts';

// The JSON POST fast path (src/http/fast-graphql.ts) must answer exactly as Yoga does: the same requests go to a
// server with it and to one without it, and status, headers that matter and body must be equal.
let fast: TestServer;
let yoga: TestServer;
beforeAll(async () => {
  [fast, yoga] = await Promise.all([startTestServer(), startTestServer({ fastJsonPath: false })]);
});
afterAll(async () => {
  await fast?.stop();
  await yoga?.stop();
});

const COMPARED_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'access-control-allow-origin', 'access-control-allow-credentials', 'vary', 'accept'];

async function answer(server: TestServer, body: unknown, headers: Record<string, string>) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return {
    status: response.status,
    headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)])),
    body: text.startsWith('{') ? JSON.parse(text) : text,
  };
}

const CASES: Array<[string, unknown, Record<string, string>]> = [
  ['a trivial query', { query: '{ __typename }' }, {}],
  ['a tenant query', { query: '{ tenant { code name } }' }, { 'x-tenant': 'xinjiang' }],
  ['the spec media type first', { query: '{ tenants { code } }' }, { accept: 'application/graphql-response+json, application/json' }],
  ['application/json only', { query: '{ tenants { code } }' }, { accept: 'application/json' }],
  ['a browser origin', { query: '{ __typename }' }, { origin: 'https://bid.example.cn' }],
  ['an unknown tenant', { query: '{ tenant { code } }' }, { 'x-tenant': 'atlantis' }],
  ['a malformed tenant header', { query: '{ tenant { code } }' }, { 'x-tenant': 'Robert"); DROP' }],
  ['a field that needs a login', { query: '{ orders(first: 1) { totalCount } }' }, { 'x-tenant': 'xinjiang', accept: 'application/graphql-response+json' }],
  ['a syntax error', { query: '{ tenants { code }' }, {}],
  ['a validation error', { query: '{ tenants { nope } }' }, { accept: 'application/graphql-response+json' }],
  ['a missing variable', { query: 'query($first: Int!) { tenants { code } sections(first: $first) { totalCount } }' }, { 'x-tenant': 'xinjiang' }],
  ['a variable of the wrong type', { query: 'query($code: String) { tenant(code: $code) { code } }', variables: { code: 42 } }, {}],
  ['an unknown operation name', { query: 'query A { __typename }', operationName: 'B' }, {}],
  ['a subscription over POST', { query: 'subscription { orderStatusChanged { sequence } }' }, {}],
  ['a bad bearer token', { query: '{ me { activeRole } }' }, { authorization: 'Bearer nonsense', accept: 'application/graphql-response+json' }],
  ['server-sent events asked for', { query: '{ __typename }' }, { accept: 'text/event-stream' }],
  ['an unacceptable media type', { query: '{ __typename }' }, { accept: 'application/xml' }],
  ['non-object variables', { query: '{ __typename }', variables: [1] }, {}],
  ['an unexpected parameter', { query: '{ __typename }', foo: 1 }, {}],
  ['null parameters', { query: '{ __typename }', variables: null, operationName: null, extensions: null }, {}],
  ['extensions', { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }, {}],
];

describe('the JSON POST fast path', () => {
  it.each(CASES)('answers %s exactly as Yoga does', async (_name, body, headers) => {
    const [mine, theirs] = await Promise.all([answer(fast, body, headers), answer(yoga, body, headers)]);
    expect(mine).toEqual(theirs);
  });

  it('runs a mutation once', async () => {
    const codes = () => fast.app.db.smsCode.count({ where: { mobile: DEMO.BIDDER } });
    const before = await codes();
    const body = { query: `mutation { requestSmsCode(input: { mobile: "${DEMO.BIDDER}" }) { __typename } }` };
    const reply = await answer(fast, body, { 'x-tenant': 'xinjiang', 'x-forwarded-for': '10.1.2.3' });
    expect(reply).toMatchObject({ status: 200, body: { data: { requestSmsCode: { __typename: 'SmsCodeSent' } } } });
    expect(await codes()).toBe(before + 1);
  });
});

describe('regularMediaType (Yoga’s choice of result processor)', () => {
  it.each([
    [undefined, 'application/json'],
    ['*/*', 'application/json'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json, application/json', 'application/graphql-response+json'],
    ['application/json, application/graphql-response+json', 'application/json'],
    ['text/event-stream', undefined],
    ['multipart/mixed', undefined],
    ['application/xml', undefined],
    ['application/json; charset=latin1', undefined],
  ])('accept %s → %s', (accept, expected) => {
    expect(regularMediaType(accept)).toBe(expected);
    // Remembered: the second answer, from the map, is the same (undefined included).
    expect(regularMediaType(accept)).toBe(expected);
  });
});

// The comparison above would also pass if every request fell through to Yoga. Here the fast path runs alone: what it
// declines gets 418, so the test shows which requests it answers itself.
describe('what the fast path answers itself', () => {
  let url = '';
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const yoga = createYoga({
      logging: false,
      schema: createSchema({
        typeDefs: 'type Query { hello: String, boom: String } type Subscription { tick: Int }',
        resolvers: { Query: { hello: () => 'world', boom: () => { throw new Error('secret detail'); } } },
      }),
    });
    const fastPath = createFastGraphQL(yoga);
    const server = createServer((req, res) => {
      void readJsonBody(req).then(async (read) => {
        if (read.kind !== 'parsed' || !(await fastPath(req, res, read.body, {}))) res.writeHead(418).end('declined');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('answers a query, and an execution error masked, with Yoga’s status and content type', async () => {
    const ok = await post({ query: '{ hello }' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await ok.json()).toEqual({ data: { hello: 'world' } });
    const failed = await post({ query: '{ boom }' }, { accept: 'application/graphql-response+json' });
    expect(failed.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    const text = await failed.text();
    expect(JSON.parse(text)).toMatchObject({ data: { boom: null }, errors: [{ message: 'Unexpected error.', path: ['boom'] }] });
    expect(text).not.toContain('secret detail');
  });

  it.each([
    ['a syntax error', { query: '{ hello' }, {}],
    ['a validation error', { query: '{ nope }' }, {}],
    ['a subscription', { query: 'subscription { tick }' }, {}],
    ['server-sent events', { query: '{ hello }' }, { accept: 'text/event-stream' }],
    ['a variable that fails coercion', { query: 'query($n: Int!) { hello }', variables: { n: 'x' } }, {}],
  ])('leaves %s to Yoga', async (_name, body, headers) => {
    const response = await post(body, headers);
    expect(response.status).toBe(418);
  });
});
