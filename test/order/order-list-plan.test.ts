import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersDocument, type OrderStatus } from '../../schema/generated/graphql.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';

// The order lists page newest first (createdAt desc, id desc) and front ends page through them all day: each list's
// filter has an index in that order (prisma/schema.prisma), so a page reads its rows off the index and stops, instead
// of sorting all the viewer's orders for every page. Here the planner is shown every list statement the read model
// sends, planned as the server runs it (a generic plan of the prepared statement), with sorting made as expensive as
// PostgreSQL allows: a list whose index is missing, or whose ORDER BY drifted from it, still plans a sort.
let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
const PAGE = /^\/\* read model: order list page/;

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['bidder', 'xinjiang', DEMO.BIDDER],
    ['institution', 'xinjiang', DEMO.INSTITUTION],
    ['admin', 'xinjiang', DEMO.ADMIN],
  ]));
});
afterAll(() => server?.stop());

/** The page statement the read model sends for this viewer's list. */
async function pageStatement(who: string, variables: { status?: OrderStatus[]; after?: string }): Promise<string> {
  const before = queries.length;
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
    body: JSON.stringify({ query: print(OrdersDocument), variables: { first: 20, ...variables } }),
  });
  const body = await response.json();
  expect(body.errors).toBeUndefined();
  const pages = queries.slice(before).filter((sql) => PAGE.test(sql));
  expect(pages).toHaveLength(1);
  return pages[0]!;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The generic plan of `sql` as a prepared statement, with sorts and sequential scans priced out where possible. */
async function genericPlan(sql: string): Promise<PlanNode[]> {
  const parameters = new Set(sql.match(/\$\d+/g)).size;
  return server.database.prisma.$transaction(async (tx) => {
    for (const setting of ['enable_sort', 'enable_incremental_sort', 'enable_seqscan']) await tx.$executeRawUnsafe(`SET LOCAL ${setting} = off`);
    await tx.$executeRawUnsafe(`SET LOCAL plan_cache_mode = force_generic_plan`);
    await tx.$executeRawUnsafe(`PREPARE order_list_page AS ${sql}`);
    try {
      const nulls = Array.from({ length: parameters }, () => 'NULL').join(', ');
      const [row] = await tx.$queryRawUnsafe<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(`EXPLAIN (FORMAT JSON) EXECUTE order_list_page(${nulls})`);
      const plan = row!['QUERY PLAN'];
      return nodesOf((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
    } finally {
      await tx.$executeRawUnsafe('DEALLOCATE order_list_page');
    }
  });
}

describe('the order list pages off an index in its order', () => {
  // Where two indexes serve a list in order, which one is the planner's choice on the statistics it has.
  const cases: Array<[string, string, { status?: OrderStatus[]; after?: string }, string[]]> = [
    ["the bidder's orders", 'bidder', {}, ['GuaranteeOrder_tenantId_bidderId_createdAt_id_idx']],
    ["the bidder's orders in one status tab", 'bidder', { status: ['DRAFT'] }, ['GuaranteeOrder_tenantId_bidderId_createdAt_id_idx']],
    ["the institution's orders", 'institution', {}, ['GuaranteeOrder_tenantId_institutionId_createdAt_id_idx']],
    ["the admin's orders of the tenant", 'admin', {}, ['GuaranteeOrder_tenantId_createdAt_id_idx']],
    ["the admin's orders in one status tab", 'admin', { status: ['UNDER_REVIEW'] }, ['GuaranteeOrder_tenantId_status_createdAt_id_idx', 'GuaranteeOrder_tenantId_createdAt_id_idx']],
  ];

  it.each(cases)('%s: no sort, the orders read off an index in the list order', async (_name, who, variables, indexes) => {
    const nodes = await genericPlan(await pageStatement(who, variables));
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
    const orders = nodes.filter((node) => node['Relation Name'] === 'GuaranteeOrder' && !node['Index Name']?.endsWith('_pkey'));
    expect(orders).toHaveLength(1);
    expect(orders[0]!['Node Type']).toBe('Index Scan');
    expect(indexes).toContain(orders[0]!['Index Name']);
  });

  it("a later page (after a cursor) also reads off the index, from the cursor's row on", async () => {
    const after = Buffer.from('GPC:S:00000000-0000-4000-8000-000000000000').toString('base64');
    const sql = await pageStatement('bidder', { after });
    expect(sql).toMatch(/\(o\."createdAt", o\.id\) <=/);
    const nodes = await genericPlan(sql);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
  });
});
