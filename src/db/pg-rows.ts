/**
 * node-postgres's row parsing, prepared once per shape of result instead of once per result (issue 9).
 *
 * For every result pg reads the row description (the columns' names and types) and prepares it again: a type parser
 * looked up per column, an empty row built key by key in a dictionary-mode object, then copied by spreading for every
 * row. A mutation's answer is one row of some fifty columns, and this was about 3 % of a mutation's CPU (`addFields`,
 * the profile's largest single function). Here a result whose columns were seen before (the same names, types and
 * text format, under the same type parsers: a client's own, or pg's global ones) takes the parsers and a row builder
 * made the first time: straight-line code building each row as one object literal, in column order, a later column
 * of the same name winning as in pg. Anything else — a binary column, a column named `__proto__`, type parsers given
 * per query (Prisma's adapter gives them so) — is pg's own `addFields` and `parseRow`, untouched. The rows are the
 * same plain objects pg makes (test/unit/pg-rows.test.ts).
 */
import pg from 'pg';

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format?: string;
}
type Parser = (value: string) => unknown;
interface TypeSource {
  getTypeParser(oid: number, format: string): Parser;
}
interface ResultInternals {
  fields: FieldDescription[];
  _types: TypeSource | undefined;
  _parsers: Parser[] | undefined;
  rowAsArray: boolean;
  parseRow(rowData: Array<string | null>): unknown;
}
interface Shape {
  names: string[];
  types: number[];
  parsers: Parser[];
  parseRow: (rowData: Array<string | null>) => Record<string, unknown>;
}

const prototype = pg.Result.prototype as unknown as ResultInternals & { addFields(fields: FieldDescription[]): void };
/** pg's own, for what is not prepared here (and for the test that compares the two). */
export const pgAddFields = prototype.addFields;
export const pgParseRow = prototype.parseRow;

/**
 * Shapes by type source (long-lived: a client's TypeOverrides or pg's global types), then by number of columns, then
 * found by comparing the columns' names and types one by one. Not by a key string made of them: for a mutation's
 * answer of fifty columns that key was 4 % of everything a mutation allocated (issue 9).
 */
const shapes = new WeakMap<TypeSource, { count: number; byLength: Map<number, Shape[]> }>();
const MAX_SHAPES = 500;

function sameColumns(shape: Shape, fields: FieldDescription[]): boolean {
  for (let i = 0; i < fields.length; i += 1) {
    if (shape.types[i] !== fields[i]!.dataTypeID || shape.names[i] !== fields[i]!.name) return false;
  }
  return true;
}

function isLongLived(types: TypeSource | undefined): types is TypeSource {
  return types === undefined || types === (pg.types as unknown) || types instanceof pg.TypeOverrides;
}

function shapeOf(types: TypeSource, fields: FieldDescription[]): Shape {
  const parsers = fields.map((field) => types.getTypeParser(field.dataTypeID, 'text'));
  // Each column name once, in the order of its first occurrence, with the value of its last (as pg's assignments give).
  const last = new Map<string, number>();
  fields.forEach((field, i) => last.set(field.name, i));
  const properties = [...last].map(([name, i]) => `${JSON.stringify(name)}: v[${i}] === null ? null : p[${i}](v[${i}])`);
  const build = new Function('p', `return function parseRow(v) { return { ${properties.join(', ')} }; };`)(parsers) as Shape['parseRow'];
  return { names: fields.map((field) => field.name), types: fields.map((field) => field.dataTypeID), parsers, parseRow: build };
}

prototype.addFields = function addFields(this: ResultInternals, fields: FieldDescription[]) {
  const types = this._types;
  if (fields.length === 0 || !isLongLived(types)) return pgAddFields.call(this, fields);
  for (const field of fields) {
    if ((field.format && field.format !== 'text') || field.name === '__proto__') return pgAddFields.call(this, fields);
  }
  const source = types ?? (pg.types as unknown as TypeSource);
  let known = shapes.get(source);
  if (!known) shapes.set(source, (known = { count: 0, byLength: new Map() }));
  let candidates = known.byLength.get(fields.length);
  if (!candidates) known.byLength.set(fields.length, (candidates = []));
  let shape = candidates.find((candidate) => sameColumns(candidate, fields));
  if (!shape) {
    shape = shapeOf(source, fields);
    if (known.count < MAX_SHAPES) {
      candidates.push(shape);
      known.count += 1;
    }
  }
  this.fields = fields;
  // pg's empty row (`_prebuiltEmptyResultObject`) is read only by its own parseRow, which these results do not use.
  this._parsers = shape.parsers;
  if (!this.rowAsArray) this.parseRow = shape.parseRow;
};
