/**
 * The order list's read model: the page of `Query.orders` and its total in hand-written SQL (src/db/sql.ts), for the
 * front ends that page through order lists all day (issue 9). Through Prisma the page cost about four times the CPU
 * of the same statement through the driver, most of it mapping and copying each row and each joined object.
 *
 * It answers only a query it covers completely, and answers it exactly as Prisma would:
 * - the selection Pothos planned (`query`) asks only for columns loaded here: the order's list columns, its section,
 *   institution and product, and its latest event (`orderBy createdAt desc, take 1`);
 * - the paging is forward (`take` > 0, optional `cursor` on `id` and `skip`);
 * - the request's ability translates to SQL (src/db/where-sql.ts), and the search has no LIKE wildcard.
 * Anything else answers `undefined` and the caller runs its Prisma query, so every other shape keeps working. The
 * two are compared request by request in test/order/order-list-sql.test.ts.
 */
import type { Context } from '../../context.ts';
import type { OrderStatus } from '../../db/generated/prisma/client.ts';
import { whereToSql, SqlParams, type ColumnType } from '../../db/where-sql.ts';
import { accessibleBy } from '../../auth/ability.ts';
import { Decimal } from '../catalog/money.ts';

export interface OrderListArgs {
  status?: readonly OrderStatus[] | null;
  search?: string | null;
}

type Kind = 'plain' | 'decimal' | 'time';

interface Table {
  alias: string;
  /** The columns loaded, by Prisma field name (the column names: the schema maps none). */
  columns: Readonly<Record<string, Kind>>;
}

const ORDER: Table = {
  alias: 'o',
  columns: {
    id: 'plain',
    tenantId: 'plain',
    number: 'plain',
    status: 'plain',
    projectType: 'plain',
    amount: 'decimal',
    premium: 'decimal',
    createdAt: 'time',
    sectionId: 'plain',
    bidderId: 'plain',
    institutionId: 'plain',
    productId: 'plain',
  },
};

/** The to-one relations loaded with each order, by relation field: the table and the order's foreign key. */
const RELATIONS: Readonly<Record<'section' | 'institution' | 'product', Table & { table: string; key: string }>> = {
  section: {
    table: 'BidSection',
    key: 'sectionId',
    alias: 's',
    columns: { id: 'plain', tenantId: 'plain', code: 'plain', name: 'plain', status: 'plain', projectType: 'plain', openingAt: 'time' },
  },
  institution: { table: 'Institution', key: 'institutionId', alias: 'i', columns: { id: 'plain', code: 'plain', name: 'plain', kind: 'plain', online: 'plain' } },
  product: {
    table: 'Product',
    key: 'productId',
    alias: 'p',
    columns: { id: 'plain', tenantId: 'plain', code: 'plain', name: 'plain', status: 'plain', issuance: 'plain', retiredAt: 'time' },
  },
};

const LATEST_EVENT: Table = {
  alias: 'e',
  columns: { id: 'plain', action: 'plain', fromStatus: 'plain', toStatus: 'plain', label: 'plain', actorType: 'plain', createdAt: 'time' },
};

/** The order columns an ability's conditions may name, with their SQL types (see order.rules.ts). */
const RULE_COLUMNS: Readonly<Record<string, ColumnType>> = {
  id: 'uuid',
  tenantId: 'uuid',
  bidderId: 'uuid',
  institutionId: 'uuid',
  status: 'enum:OrderStatus',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function selectList(table: Table, prefix: string): string[] {
  return Object.entries(table.columns).map(([field, kind]) => {
    const column = `${table.alias}."${field}"`;
    // A timestamp as epoch milliseconds (a float8, exact to the millisecond): no date text to parse per row.
    const expression = kind === 'decimal' ? `${column}::text` : kind === 'time' ? `round(extract(epoch from ${column}) * 1000)::float8` : column;
    return `${expression} AS "${prefix}${field}"`;
  });
}

const PAGE_SELECT = [
  ...selectList(ORDER, ''),
  ...Object.entries(RELATIONS).flatMap(([name, relation]) => selectList(relation, `${name}.`)),
  ...selectList(LATEST_EVENT, 'event.'),
].join(',\n       ');

const PAGE_FROM = `"GuaranteeOrder" o
  ${Object.values(RELATIONS)
    .map((relation) => `JOIN "${relation.table}" ${relation.alias} ON ${relation.alias}.id = o."${relation.key}"`)
    .join('\n  ')}
  LEFT JOIN LATERAL (
    SELECT * FROM "OrderEvent" WHERE "orderId" = o.id ORDER BY "createdAt" DESC, id DESC LIMIT 1
  ) e ON TRUE`;

/** Whether `select` (a Pothos-planned Prisma select) asks only for `true` on columns of `columns`. */
function coversColumns(select: unknown, columns: Readonly<Record<string, unknown>>): boolean {
  if (typeof select !== 'object' || select === null) return false;
  return Object.entries(select).every(([field, value]) => value === true && Object.hasOwn(columns, field));
}

function coversEvents(events: unknown): boolean {
  if (typeof events !== 'object' || events === null) return false;
  const { orderBy, take, select, ...rest } = events as Record<string, unknown>;
  const order = orderBy as Record<string, unknown> | undefined;
  return (
    Object.keys(rest).length === 0 &&
    take === 1 &&
    typeof order === 'object' &&
    order !== null &&
    Object.keys(order).length === 1 &&
    order.createdAt === 'desc' &&
    coversColumns(select, LATEST_EVENT.columns)
  );
}

/** Whether the read model loads everything `select` asks for. */
function coversSelect(select: unknown): boolean {
  if (typeof select !== 'object' || select === null) return false;
  return Object.entries(select).every(([field, value]) => {
    if (Object.hasOwn(ORDER.columns, field)) return value === true;
    if (Object.hasOwn(RELATIONS, field)) {
      const { select: nested, ...rest } = (value ?? {}) as Record<string, unknown>;
      return Object.keys(rest).length === 0 && coversColumns(nested, RELATIONS[field as keyof typeof RELATIONS].columns);
    }
    if (field === 'events') return coversEvents(value);
    return false;
  });
}

/** The list's filter as SQL: the ability, the tenant, the status tabs and the search; undefined if not translatable. */
function listWhere(ctx: Context, args: OrderListArgs, params: SqlParams): { sql: string; joinsSection: boolean } | undefined {
  const ability = whereToSql(accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder'), 'o', RULE_COLUMNS, params);
  if (ability === undefined) return undefined;
  const terms = [ability, `o."tenantId" = ${params.add(ctx.requireTenant().id, 'uuid')}`];
  if (args.status?.length) terms.push(`o.status = ANY(${params.add([...args.status], '"OrderStatus"[]')})`);
  const search = args.search?.trim();
  // Prisma's `contains` passes LIKE's wildcards through unescaped; rather than mimic that, leave such a search to it.
  if (search && /[%_\\]/.test(search)) return undefined;
  if (search) {
    const pattern = params.add(`%${search}%`);
    terms.push(`(o.number ILIKE ${pattern} OR s.name ILIKE ${pattern} OR s.code ILIKE ${pattern})`);
  }
  return { sql: terms.join('\n   AND '), joinsSection: !!search };
}

/**
 * The rows `ctx.db.guaranteeOrder.findMany({ ...query, where: orderWhere(ctx, args), orderBy: [createdAt desc, id
 * desc] })` would return, or undefined where the read model does not cover the query (see the file's comment).
 */
export async function orderPage(ctx: Context, query: Record<string, unknown>, args: OrderListArgs): Promise<unknown[] | undefined> {
  if (!ctx.sqlReadModels) return undefined;
  const { take, skip = 0, cursor, select, ...rest } = query;
  if (Object.keys(rest).length > 0 || !Number.isInteger(take) || (take as number) <= 0 || !Number.isInteger(skip) || (skip as number) < 0) return undefined;
  if (!coversSelect(select)) return undefined;
  let cursorId: string | undefined;
  if (cursor !== undefined) {
    const { id, ...others } = (cursor ?? {}) as Record<string, unknown>;
    if (Object.keys(others).length > 0 || typeof id !== 'string' || !UUID.test(id)) return undefined;
    cursorId = id;
  }
  const params = new SqlParams();
  const where = listWhere(ctx, args, params);
  if (!where) return undefined;
  // Prisma's cursor: the rows from the cursor's row on, in the list's order; none when that row does not exist.
  const after = cursorId
    ? `\n   AND (o."createdAt", o.id) <= (SELECT c."createdAt", c.id FROM "GuaranteeOrder" c WHERE c.id = ${params.add(cursorId, 'uuid')})`
    : '';
  const sql = `/* read model: order list page */ SELECT ${PAGE_SELECT}
  FROM ${PAGE_FROM}
 WHERE ${where.sql}${after}
 ORDER BY o."createdAt" DESC, o.id DESC
 LIMIT ${params.add(take)} OFFSET ${params.add(skip)}`;
  const rows = await ctx.sql.query<Record<string, unknown>>(sql, params.values);
  return rows.map(toOrder);
}

/** The count `ctx.db.guaranteeOrder.count({ where: orderWhere(ctx, args) })` would return, or undefined (see above). */
export async function orderCount(ctx: Context, args: OrderListArgs): Promise<number | undefined> {
  if (!ctx.sqlReadModels) return undefined;
  const params = new SqlParams();
  const where = listWhere(ctx, args, params);
  if (!where) return undefined;
  const join = where.joinsSection ? ` JOIN "BidSection" s ON s.id = o."sectionId"` : '';
  const rows = await ctx.sql.query<{ n: number }>(`/* read model: order list count */ SELECT count(*)::int AS n FROM "GuaranteeOrder" o${join} WHERE ${where.sql}`, params.values);
  return rows[0]!.n;
}

/** How to read one table's object out of a row: the row's keys built once, not per row. */
function reader(table: Table, prefix: string): (row: Record<string, unknown>) => Record<string, unknown> {
  const fields = Object.entries(table.columns).map(([field, kind]) => ({ field, kind, key: `${prefix}${field}` }));
  return (row) => {
    const object: Record<string, unknown> = {};
    for (const { field, kind, key } of fields) {
      const value = row[key];
      object[field] = value === null ? null : kind === 'decimal' ? new Decimal(value as string) : kind === 'time' ? new Date(value as number) : value;
    }
    return object;
  };
}

const readOrder = reader(ORDER, '');
const readRelations = Object.entries(RELATIONS).map(([name, relation]) => [name, reader(relation, `${name}.`)] as const);
const readEvent = reader(LATEST_EVENT, 'event.');

function toOrder(row: Record<string, unknown>): Record<string, unknown> {
  const order = readOrder(row);
  for (const [name, read] of readRelations) order[name] = read(row);
  order.events = row['event.id'] === null ? [] : [readEvent(row)];
  return order;
}
