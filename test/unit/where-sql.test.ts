import { describe, expect, it } from 'vitest';
import { SqlParams } from '../../src/db/sql.ts';
import { whereToSql } from '../../src/db/where-sql.ts';

// The translation of the ability's Prisma where (accessibleBy) into SQL for the order list's read model: what it
// translates must mean exactly what Prisma would run; anything else must be refused (undefined), never approximated.
const COLUMNS = { tenantId: 'uuid', bidderId: 'uuid', status: 'enum:OrderStatus' } as const;
const T = '7d9f4a52-7c3e-4b1e-9a77-0f3f5d8f2a10';
const B = '0b6c2d1e-52c4-4a57-8f0e-7f1b9a3c4d21';

function translate(where: unknown) {
  const params = new SqlParams();
  const sql = whereToSql(where, 'o', COLUMNS, params);
  return { sql, values: params.values };
}

describe('whereToSql', () => {
  it('translates a bidder rule: OR of one AND-ed equality pair, values as typed parameters', () => {
    expect(translate({ OR: [{ tenantId: T, bidderId: B }] })).toEqual({
      sql: '((o."tenantId" = $1::uuid AND o."bidderId" = $2::uuid))',
      values: [T, B],
    });
  });

  it('translates `in` (an admin over a province and its cities) and `equals`, and an empty `in` as no row', () => {
    expect(translate({ OR: [{ tenantId: { in: [T, B] } }] })).toEqual({ sql: '(o."tenantId" = ANY($1::uuid[]))', values: [[T, B]] });
    expect(translate({ status: { equals: 'DRAFT' } })).toEqual({ sql: 'o."status" = $1::"OrderStatus"', values: ['DRAFT'] });
    expect(translate({ tenantId: { in: [] } })).toEqual({ sql: 'FALSE', values: [] });
  });

  it('gives an empty AND every row and an empty OR none, as SQL does, and null as IS NULL', () => {
    expect(translate({ AND: [] }).sql).toBe('TRUE');
    expect(translate({ OR: [] }).sql).toBe('FALSE');
    expect(translate({}).sql).toBe('TRUE');
    expect(translate({ bidderId: null }).sql).toBe('o."bidderId" IS NULL');
  });

  it('refuses what it does not translate: NOT, another operator, an unknown column, a relation filter, a non-string value', () => {
    for (const where of [
      { NOT: { tenantId: T } },
      { OR: [{ tenantId: T }, { NOT: [{ bidderId: B }] }] },
      { tenantId: { not: T } },
      { tenantId: { in: [T], equals: T } },
      { number: 'HN-1' },
      { section: { name: { contains: 'x' } } },
      { tenantId: 42 },
      { tenantId: { in: [T, 42] } },
      'tenantId',
      null,
    ]) {
      expect(translate(where).sql, JSON.stringify(where)).toBeUndefined();
    }
  });

  it('never takes a column name from the input: an unknown key with quotes is refused, not quoted into the SQL', () => {
    expect(translate({ 'tenantId" = "tenantId" OR TRUE --': T }).sql).toBeUndefined();
    expect(translate({ constructor: T }).sql).toBeUndefined();
  });
});
