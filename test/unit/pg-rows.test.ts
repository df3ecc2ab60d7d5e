import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgAddFields, pgParseRow } from '../../src/db/pg-rows.ts';

// src/db/pg-rows.ts: node-postgres's rows, from parsers and a row builder prepared once per shape of result. The rows
// must be exactly pg's own.
type Field = { name: string; dataTypeID: number; format: string };
const field = (name: string, dataTypeID: number, format = 'text'): Field => ({ name, dataTypeID, format });
const TEXT = 25;
const INT4 = 23;
const BOOL = 16;
const JSON_OID = 114;
const TIMESTAMPTZ = 1184;

interface Parsing {
  addFields(fields: Field[]): void;
  parseRow(row: Array<string | null>): unknown;
}
/** Rows as this module parses them, and as pg's own methods parse them. */
function both(fields: Field[], rows: Array<Array<string | null>>, rowMode?: 'array', types?: unknown) {
  const ours = new pg.Result(rowMode as never, types as never) as unknown as Parsing;
  ours.addFields(fields);
  const theirs = new pg.Result(rowMode as never, types as never) as unknown as Parsing;
  pgAddFields.call(theirs, fields);
  const parse = (result: Parsing) => rows.map((row) => (rowMode ? result.parseRow(row) : pgParseRow.call(result as never, row as never)));
  return { ours: rows.map((row) => ours.parseRow(row)), theirs: parse(theirs), prepared: ours.parseRow !== pgParseRow && !rowMode };
}

describe('pg rows', () => {
  const fields = [field('id', TEXT), field('n', INT4), field('ok', BOOL), field('doc', JSON_OID), field('at', TIMESTAMPTZ)];
  const rows = [
    ['a', '1', 't', '{"x":[1]}', '2026-12-02 10:00:00.123+00'],
    ['b', null, 'f', null, null],
  ];

  it('parse each column with its type parser, as pg does, prepared once per shape', () => {
    for (let i = 0; i < 3; i += 1) {
      const { ours, theirs, prepared } = both(fields, rows, undefined, new pg.TypeOverrides());
      expect(prepared).toBe(true);
      expect(ours).toEqual(theirs);
      expect(ours[0]).toEqual({ id: 'a', n: 1, ok: true, doc: { x: [1] }, at: new Date('2026-12-02T10:00:00.123Z') });
      expect(Object.keys(ours[1] as object)).toEqual(['id', 'n', 'ok', 'doc', 'at']);
      expect(Object.getPrototypeOf(ours[0])).toBe(Object.prototype);
    }
  });

  it('keep the first position and the last value of a repeated column name, and odd names', () => {
    const repeated = [field('x', TEXT), field('y', INT4), field('x', INT4), field('0', TEXT), field('a "quoted" \\ name', TEXT)];
    const { ours, theirs } = both(repeated, [['first', '2', '3', 'zero', 'q']], undefined, new pg.TypeOverrides());
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours[0] as object)).toEqual(Object.keys(theirs[0] as object));
    expect(ours[0]).toEqual({ 0: 'zero', x: 3, y: 2, 'a "quoted" \\ name': 'q' });
  });

  it('tell apart shapes of as many columns that differ only in the last column’s name or type', () => {
    const types = new pg.TypeOverrides();
    const base = [field('id', TEXT), field('n', INT4)];
    const renamed = [field('id', TEXT), field('m', INT4)];
    const retyped = [field('id', TEXT), field('n', TEXT)];
    for (let i = 0; i < 2; i += 1) {
      expect(both(base, [['a', '1']], undefined, types).ours).toEqual([{ id: 'a', n: 1 }]);
      expect(both(renamed, [['a', '1']], undefined, types).ours).toEqual([{ id: 'a', m: 1 }]);
      expect(both(retyped, [['a', '1']], undefined, types).ours).toEqual([{ id: 'a', n: '1' }]);
    }
  });

  it("leave pg's own way a binary column, a column named __proto__, per-query type parsers and array rows", () => {
    const perQuery = both([field('id', TEXT)], [['a']], undefined, { getTypeParser: () => (value: string) => `parsed ${value}` });
    expect(perQuery).toMatchObject({ ours: [{ id: 'parsed a' }], prepared: false });
    const proto = both([field('__proto__', TEXT), field('id', TEXT)], [['p', 'a']], undefined, new pg.TypeOverrides());
    expect(proto.prepared).toBe(false);
    expect(proto.ours).toEqual(proto.theirs);
    expect(both([field('id', TEXT, 'binary')], [], undefined, new pg.TypeOverrides()).prepared).toBe(false);
    const arrays = both(fields, rows, 'array', new pg.TypeOverrides());
    expect(arrays.ours).toEqual(arrays.theirs);
    expect(arrays.ours[0]).toEqual(['a', 1, true, { x: [1] }, new Date('2026-12-02T10:00:00.123Z')]);
  });
});
