/** Bulk data for scripts/bench/run.ts: rows cloned in SQL from one real row made through the API. */
import type pg from 'pg';

async function columnsOf(db: pg.Client, table: string): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => row.column_name);
}

/** `SELECT` list copying every column of `alias`, except those given as SQL expressions in `overrides`. */
function selectList(columns: string[], alias: string, overrides: Record<string, string>): string {
  return columns.map((column) => overrides[column] ?? `${alias}."${column}"`).join(', ');
}

/**
 * Clones `count` closed orders (ABANDONED/EXPIRED/REJECTED/CANCELLED in turn, one minute apart, older than the
 * template) of the template's bidder, each with one timeline row cloned from the template's newest.
 */
export async function cloneOrders(db: pg.Client, templateOrderId: string, count: number): Promise<void> {
  const orderColumns = await columnsOf(db, 'GuaranteeOrder');
  const eventColumns = await columnsOf(db, 'OrderEvent');
  const orderSelect = selectList(orderColumns, 't', {
    id: 'gen_random_uuid()',
    number: `t.number || '-' || g`,
    liveKey: 'NULL',
    status: `(ARRAY['ABANDONED','EXPIRED','REJECTED','CANCELLED'])[1 + g % 4]::"OrderStatus"`,
    createdAt: `t."createdAt" - g * interval '1 minute'`,
    updatedAt: `t."updatedAt" - g * interval '1 minute'`,
    closedAt: `t."createdAt" - g * interval '1 minute' + interval '30 seconds'`,
  });
  const eventSelect = selectList(eventColumns, 'e', {
    id: 'gen_random_uuid()',
    orderId: 'n.id',
    fromStatus: 'e."toStatus"',
    toStatus: 'n.status',
    createdAt: `n."createdAt" + interval '30 seconds'`,
  });
  await db.query(
    `WITH n AS (
       INSERT INTO "GuaranteeOrder" (${orderColumns.map((c) => `"${c}"`).join(', ')})
       SELECT ${orderSelect} FROM "GuaranteeOrder" t CROSS JOIN generate_series(1, $2::int) g WHERE t.id = $1
       RETURNING id, status, "createdAt"
     )
     INSERT INTO "OrderEvent" (${eventColumns.map((c) => `"${c}"`).join(', ')})
     SELECT ${eventSelect} FROM n CROSS JOIN LATERAL (
       SELECT * FROM "OrderEvent" WHERE "orderId" = $1 ORDER BY "createdAt" DESC LIMIT 1
     ) e`,
    [templateOrderId, count],
  );
}

/** Clones `count` sections from the template (codes `<code>-<n>`); returns their ids. */
export async function cloneSections(db: pg.Client, templateSectionId: string, count: number): Promise<string[]> {
  const columns = await columnsOf(db, 'BidSection');
  const select = selectList(columns, 't', { id: 'gen_random_uuid()', code: `t.code || '-' || g`, name: `t.name || '-' || g` });
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO "BidSection" (${columns.map((c) => `"${c}"`).join(', ')})
     SELECT ${select} FROM "BidSection" t CROSS JOIN generate_series(1, $2::int) g WHERE t.id = $1 RETURNING id`,
    [templateSectionId, count],
  );
  return rows.map((row) => row.id);
}
