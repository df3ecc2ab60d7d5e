/**
 * The order read model: orders in hand-written SQL (src/db/sql.ts) where Prisma's per-statement and per-row cost
 * dominated a hot request (issue 9): the page and total of `Query.orders`, which front ends page through all day,
 * `Query.order`, and the order every order mutation answers with. Through Prisma the page cost about four times
 * the CPU of the same statement through the driver, most of it mapping and copying each row and each joined object.
 *
 * It answers only a query it covers completely, and answers it exactly as Prisma would:
 * - the selection Pothos planned (`query`) asks only for what is loaded here: the order's columns, its section,
 *   institution, product and bidder, its latest event (`orderBy createdAt desc, take 1`) or its timeline and its
 *   payments (`orderBy createdAt asc`);
 * - a list pages forward (`take` > 0, optional `cursor` on `id` and `skip`);
 * - the request's ability translates to SQL (src/db/where-sql.ts), and the search has no LIKE wildcard.
 * Anything else answers `undefined` and the caller runs its Prisma query, so every other shape keeps working. The
 * two are compared request by request in test/order/order-list-sql.test.ts. The statement loads exactly the columns
 * asked for; its text and row reader are planned once per selection.
 */
import type { Context } from '../../context.ts';
import type { OrderStatus } from '../../db/generated/prisma/client.ts';
import { COLUMNS_ONLY, readModelPrototype, type ReadModelLoads } from '../../db/read-model-row.ts';
import { SqlParams } from '../../db/sql.ts';
import { whereToSql, type ColumnType } from '../../db/where-sql.ts';
import { accessibleBy } from '../../auth/ability.ts';
import { Decimal } from '../catalog/money.ts';
import { UUID } from '../common/formats.ts';
import { keptPlanOf } from '../../prisma-plans.ts';

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
    sectionId: 'plain',
    bidderId: 'plain',
    applicantId: 'plain',
    institutionId: 'plain',
    productId: 'plain',
    status: 'plain',
    version: 'plain',
    liveKey: 'plain',
    projectType: 'plain',
    amount: 'decimal',
    rate: 'decimal',
    minimumPremium: 'decimal',
    premium: 'decimal',
    handlerName: 'plain',
    handlerMobile: 'plain',
    basicAccountName: 'plain',
    basicAccountBank: 'plain',
    basicAccountNumber: 'plain',
    openingPermitId: 'plain',
    noticeVersion: 'plain',
    noticeAcceptedAt: 'time',
    termsVersion: 'plain',
    termsAcceptedAt: 'time',
    creditInfo: 'plain',
    creditApprovedAt: 'time',
    agreementDigest: 'plain',
    agreementSignature: 'plain',
    agreementSignedAt: 'time',
    paymentReference: 'plain',
    expiresAt: 'time',
    submittedAt: 'time',
    paidAt: 'time',
    closedAt: 'time',
    createdAt: 'time',
    updatedAt: 'time',
  },
};

/** The to-one relations loaded with each order, by relation field: the table and the order's foreign key. */
const RELATIONS: Readonly<Record<'section' | 'institution' | 'product' | 'bidder', Table & { table: string; key: string }>> = {
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
  bidder: { table: 'Enterprise', key: 'bidderId', alias: 'b', columns: { id: 'plain', tenantId: 'plain', name: 'plain', uscc: 'plain' } },
};

const EVENT_COLUMNS: Table['columns'] = {
  id: 'plain',
  tenantId: 'plain',
  orderId: 'plain',
  action: 'plain',
  fromStatus: 'plain',
  toStatus: 'plain',
  label: 'plain',
  actorType: 'plain',
  actorUserId: 'plain',
  reason: 'plain',
  createdAt: 'time',
};

const LATEST_EVENT: Table = { alias: 'e', columns: EVENT_COLUMNS };

/** The to-many relations loaded whole, oldest first: the table, its columns (all of them when `select` is absent). */
const LISTS: Readonly<Record<'events' | 'payments', Table & { table: string }>> = {
  events: { table: 'OrderEvent', alias: 'ev', columns: EVENT_COLUMNS },
  payments: {
    table: 'Payment',
    alias: 'pay',
    columns: {
      id: 'plain',
      tenantId: 'plain',
      orderId: 'plain',
      institutionId: 'plain',
      transactionId: 'plain',
      payerAccountName: 'plain',
      payerAccountNumber: 'plain',
      payerBank: 'plain',
      amount: 'decimal',
      paidAt: 'time',
      outcome: 'plain',
      refundDue: 'decimal',
      createdAt: 'time',
    },
  },
};

/** The order columns an ability's conditions may name, with their SQL types (see order.rules.ts). */
const RULE_COLUMNS: Readonly<Record<string, ColumnType>> = {
  id: 'uuid',
  tenantId: 'uuid',
  bidderId: 'uuid',
  institutionId: 'uuid',
  status: 'enum:OrderStatus',
};

/**
 * A column as the read model reads it: numerics as text, timestamps as epoch milliseconds, a float8 exact to the ms
 * (`date_part` computes in float8, where `extract` computes in numeric at twice the cost; the columns hold ms).
 */
function columnValue(table: Table, field: string): string {
  const column = `${table.alias}."${field}"`;
  const kind = table.columns[field];
  return kind === 'decimal' ? `${column}::text` : kind === 'time' ? `round(date_part('epoch', ${column}) * 1000)` : column;
}

function selectColumn(table: Table, field: string, prefix: string): string {
  return `${columnValue(table, field)} AS "${prefix}${field}"`;
}

/**
 * A to-many relation as one JSON array column, oldest first (Prisma's `orderBy: { createdAt: 'asc' }`; the id breaks
 * ties, which Prisma leaves to the database), its objects keyed by field name and read by {@link reader}.
 */
function selectList(name: string, list: Table & { table: string }, fields: readonly string[], source: string): string {
  const pairs = fields.map((field) => `'${field}', ${columnValue(list, field)}`).join(', ');
  return `(SELECT coalesce(json_agg(json_build_object(${pairs}) ORDER BY ${list.alias}."createdAt", ${list.alias}.id), '[]'::json)
         FROM ${source} ${list.alias} WHERE ${list.alias}."orderId" = o.id) AS "${name}"`;
}

/**
 * Reads one table's object out of a row, the row's keys built once per plan rather than per row, marked as the read
 * model's with what it loaded (src/db/read-model-row.ts): a nested object its columns only.
 */
function reader(table: Table, fields: readonly string[], prefix: string, loads = COLUMNS_ONLY): (row: Record<string, unknown>) => Record<string, unknown> {
  // Straight-line code, built once per selection: a loop over the columns storing each under a computed key cost a
  // row about five times as much (issue 9). Its names are the table's own column names (checked here), written as
  // JSON string literals; nothing a request sends reaches the code.
  const lines = fields.map((field) => {
    const kind = table.columns[field];
    if (kind === undefined || !Object.hasOwn(table.columns, field)) throw new Error(`read model: ${field} is not a column of ${table.alias}`);
    const value = kind === 'decimal' ? 'v === null ? null : new Decimal(v)' : kind === 'time' ? 'v === null ? null : new Date(v)' : 'v';
    return `v = row[${JSON.stringify(`${prefix}${field}`)}]; object[${JSON.stringify(field)}] = ${value};`;
  });
  const body = `return function read(row) {\n  const object = Object.create(prototype);\n  let v;\n  ${lines.join('\n  ')}\n  return object;\n};`;
  return new Function('prototype', 'Decimal', body)(readModelPrototype(loads), Decimal) as (row: Record<string, unknown>) => Record<string, unknown>;
}

/** Where a statement reads orders and their timeline from: the tables, or what a write wrote (see {@link writtenOrder}). */
interface Sources {
  orders: string;
  events: string;
}

const TABLES: Sources = { orders: '"GuaranteeOrder"', events: '"OrderEvent"' };

/** The statement's select list and FROM, and how to turn a row into what Prisma would return, for one selection. */
interface Plan {
  /** Reading the tables. */
  select: string;
  from: string;
  /** Reading other sources; planned once per pair. */
  sql(sources: Sources): { select: string; from: string };
  read(row: Record<string, unknown>): Record<string, unknown>;
}

/** The fields of `select` if it asks only for `true` on columns of `table`; undefined otherwise. */
function columnsOf(select: unknown, table: Table): string[] | undefined {
  if (typeof select !== 'object' || select === null) return undefined;
  const fields = Object.keys(select);
  return fields.every((field) => (select as Record<string, unknown>)[field] === true && Object.hasOwn(table.columns, field)) ? fields : undefined;
}

/** The fields of a to-many selection that is exactly `{ orderBy: { createdAt: 'asc' | 'desc' }, take?, select? }`. */
function listSelection(value: unknown, table: Table, direction: 'asc' | 'desc', take: number | undefined): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { orderBy, take: taken, select, ...rest } = value as Record<string, unknown>;
  const order = orderBy as Record<string, unknown> | undefined;
  const exact = Object.keys(rest).length === 0 && taken === take && typeof order === 'object' && order !== null && Object.keys(order).length === 1 && order.createdAt === direction;
  if (!exact) return undefined;
  return select === undefined ? Object.keys(table.columns) : columnsOf(select, table);
}

/**
 * The plan for a Pothos-planned `select`, loading exactly the columns it asks for; undefined when it asks for
 * anything the read model does not load.
 */
function planFor(select: unknown): Plan | undefined {
  if (typeof select !== 'object' || select === null) return undefined;
  const orderFields: string[] = [];
  const relations: Array<{ name: string; table: Table; fields: string[] }> = [];
  const lists: Array<{ name: string; table: Table & { table: string }; fields: string[] }> = [];
  let eventFields: string[] | undefined;
  for (const [field, value] of Object.entries(select)) {
    if (Object.hasOwn(ORDER.columns, field)) {
      if (value !== true) return undefined;
      orderFields.push(field);
    } else if (Object.hasOwn(RELATIONS, field)) {
      const { select: nested, ...rest } = (value ?? {}) as Record<string, unknown>;
      const table = RELATIONS[field as keyof typeof RELATIONS];
      const fields = Object.keys(rest).length === 0 ? columnsOf(nested, table) : undefined;
      if (!fields) return undefined;
      relations.push({ name: field, table, fields });
    } else if (field === 'events' && (eventFields = listSelection(value, LATEST_EVENT, 'desc', 1))) {
      // The latest event (a list's `latestEvent`), joined.
    } else if (Object.hasOwn(LISTS, field)) {
      const table = LISTS[field as keyof typeof LISTS];
      const fields = listSelection(value, table, 'asc', undefined);
      if (!fields) return undefined;
      lists.push({ name: field, table, fields });
    } else {
      return undefined;
    }
  }
  if (orderFields.length === 0) return undefined;
  // The event's id too, whether asked or not: a null id is how a row says the order has no event.
  const latestFields = eventFields ? [...new Set(['id', ...eventFields])] : [];
  const latestColumns = latestFields.map((field) => `"${field}"`).join(', ');
  const text = ({ orders, events }: Sources) => {
    const columns = [
      ...orderFields.map((field) => selectColumn(ORDER, field, '')),
      ...relations.flatMap(({ name, table, fields }) => fields.map((field) => selectColumn(table, field, `${name}.`))),
      ...latestFields.map((field) => selectColumn(LATEST_EVENT, field, 'event.')),
      ...lists.map(({ name, table, fields }) => selectList(name, table, fields, name === 'events' ? events : `"${table.table}"`)),
    ];
    // The section is joined always: the search reads its name and code.
    const joined = new Set(['section', ...relations.map(({ name }) => name)]);
    const from = [
      `${orders} o`,
      ...Object.entries(RELATIONS)
        .filter(([name]) => joined.has(name))
        .map(([, relation]) => `JOIN "${relation.table}" ${relation.alias} ON ${relation.alias}.id = o."${relation.key}"`),
      // Prisma's order (`createdAt` desc, ties as the index gives them), read off the (orderId, createdAt) index.
      ...(eventFields
        ? [`LEFT JOIN LATERAL (SELECT ${latestColumns} FROM ${events} ev WHERE "orderId" = o.id ORDER BY "createdAt" DESC LIMIT 1) e ON TRUE`]
        : []),
    ].join('\n  ');
    return { select: columns.join(',\n       '), from };
  };
  const { select: tableSelect, from: tableFrom } = text(TABLES);
  const others = new Map<string, { select: string; from: string }>();
  // What the order's fields may read off it (their `extensions.readModelLoad`): its to-one relations, its latest event
  // (`events` taken newest first, one) or its timeline (`events` oldest first), its payments.
  const loads: ReadModelLoads = Object.freeze({
    ...Object.fromEntries(relations.map(({ name }) => [name, true])),
    latestEvent: eventFields !== undefined,
    ...Object.fromEntries(lists.map(({ name }) => [name, true])),
  });
  const readOrder = reader(ORDER, orderFields, '', loads);
  const readRelations = relations.map(({ name, table, fields }) => [name, reader(table, fields, `${name}.`)] as const);
  const readEvent = eventFields ? reader(LATEST_EVENT, eventFields, 'event.') : undefined;
  const readLists = lists.map(({ name, table, fields }) => [name, reader(table, fields, '')] as const);
  return {
    select: tableSelect,
    from: tableFrom,
    sql(sources) {
      const key = `${sources.orders}\n${sources.events}`;
      let planned = others.get(key);
      if (!planned) others.set(key, (planned = text(sources)));
      return planned;
    },
    read(row) {
      const order = readOrder(row);
      for (const [name, read] of readRelations) order[name] = read(row);
      if (readEvent) order.events = row['event.id'] === null ? [] : [readEvent(row)];
      for (const [name, read] of readLists) order[name] = (row[name] as Array<Record<string, unknown>>).map(read);
      return order;
    },
  };
}

/** Plans by selection: a list's selection repeats from request to request. Bounded, since clients choose selections. */
const plans = new Map<string, Plan | null>();
const MAX_PLANS = 200;
/** Plans by the kept prisma plan a query was played from (src/prisma-plans.ts), which always makes the same selection. */
const byPlayed = new WeakMap<object, Plan | null>();

function cachedPlan(select: unknown, query: Record<string, unknown>): Plan | undefined {
  const played = keptPlanOf(query);
  if (!played) return planBySelection(select);
  let plan = byPlayed.get(played);
  if (plan === undefined) byPlayed.set(played, (plan = planBySelection(select) ?? null));
  return plan ?? undefined;
}

function planBySelection(select: unknown): Plan | undefined {
  const key = JSON.stringify(select);
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = planFor(select) ?? null;
    if (plans.size < MAX_PLANS) plans.set(key, plan);
  }
  return plan ?? undefined;
}

/** The list's filter as SQL: the ability, the tenant, the status tabs and the search; undefined if not translatable. */
function listWhere(ctx: Context, args: OrderListArgs, params: SqlParams): { sql: string; joinsSection: boolean } | undefined {
  const ability = whereToSql(accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder'), 'o', RULE_COLUMNS, params);
  if (ability === undefined) return undefined;
  const terms = [ability, `o."tenantId" = ${params.add(ctx.requireTenant().id, 'uuid')}`];
  // One tab is an equality, so the admin's page reads (tenantId, status, createdAt, id) in order; PostgreSQL 15 reads
  // no index in order for `= ANY(array)`, whatever the array holds.
  if (args.status?.length === 1) terms.push(`o.status = ${params.add(args.status[0], '"OrderStatus"')}`);
  else if (args.status?.length) terms.push(`o.status = ANY(${params.add([...args.status], '"OrderStatus"[]')})`);
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
  const plan = cachedPlan(select, query);
  if (!plan) return undefined;
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
  const sql = `/* read model: order list page */ SELECT ${plan.select}
  FROM ${plan.from}
 WHERE ${where.sql}${after}
 ORDER BY o."createdAt" DESC, o.id DESC
 LIMIT ${params.add(take)} OFFSET ${params.add(skip)}`;
  const rows = await ctx.sql.query<Record<string, unknown>>(sql, params.values);
  return rows.map((row) => plan.read(row));
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

/** The plan for one order's query (`{ select }` and nothing else), where the read model is on and covers it. */
function onePlan(ctx: Pick<Context, 'sqlReadModels'>, query: Record<string, unknown> | undefined): Plan | undefined {
  if (!query || !ctx.sqlReadModels) return undefined;
  const { select, ...rest } = query;
  return Object.keys(rest).length === 0 ? cachedPlan(select, query) : undefined;
}

/**
 * The row `ctx.db.guaranteeOrder.findFirst({ ...query, where: { id, tenantId } })` would return for the request's
 * tenant (null when there is none), or undefined where the read model does not cover the selection. `visible`
 * applies the request's ability too, as `Query.order` does (undefined again if the ability does not translate);
 * without it the caller checks the row, as a service does before it acts, or has checked already, as a mutation
 * has before it answers with the order it wrote.
 */
export async function orderById(ctx: Context, query: Record<string, unknown>, id: string, { visible }: { visible: boolean }): Promise<Record<string, unknown> | null | undefined> {
  const plan = onePlan(ctx, query);
  if (!plan) return undefined;
  if (!UUID.test(id)) return null;
  const params = new SqlParams();
  const where = visible ? listWhere(ctx, {}, params) : { sql: `o."tenantId" = ${params.add(ctx.requireTenant().id, 'uuid')}` };
  if (!where) return undefined;
  const sql = `/* read model: order */ SELECT ${plan.select}
  FROM ${plan.from}
 WHERE o.id = ${params.add(id, 'uuid')} AND ${where.sql}`;
  const [row] = await ctx.sql.query<Record<string, unknown>>(sql, params.values);
  return row ? plan.read(row) : null;
}

/**
 * How a write answers with the order it wrote in its own statement, as Prisma's `create` and `update` take a
 * `select`: the statement ends in `SELECT <select> FROM <from>`, reading the order from the write's `RETURNING *`
 * (CTE `orders`) and its timeline from the table plus the rows the write added (CTE `timeline`, `RETURNING *`), since
 * a statement's own writes are not visible to its other parts. Undefined where the read model does not cover `query`;
 * the writer then answers with the id, and the order is read afterwards.
 */
export function writtenOrder(ctx: Pick<Context, 'sqlReadModels'>, query: Record<string, unknown> | undefined, ctes: { orders: string; timeline: string }) {
  const plan = onePlan(ctx, query);
  if (!plan) return undefined;
  const { select: columns, from } = plan.sql({ orders: ctes.orders, events: `(SELECT * FROM "OrderEvent" UNION ALL SELECT * FROM ${ctes.timeline})` });
  return { select: columns, from, read: plan.read };
}
