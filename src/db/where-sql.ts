/**
 * A Prisma `where` of the small shape CASL's `accessibleBy` produces, as SQL for a hand-written read model
 * (src/db/sql.ts). So a hand-written list applies the request's ability in the database exactly as a Prisma list
 * does, from the same rules.
 *
 * It translates `AND` / `OR` lists and objects, and equality, `equals` and `in` on the columns a caller names with
 * their SQL types. Anything else (another operator, another column, `NOT`, a relation filter) answers `undefined`,
 * and the caller must then run its Prisma query: a where clause is never half-translated.
 */
import type { SqlParams } from './sql.ts';

export type ColumnType = 'uuid' | 'text' | `enum:${string}`;

const sqlType = (type: ColumnType) => (type.startsWith('enum:') ? `"${type.slice(5)}"` : type);

/**
 * `where` as a SQL condition on the table aliased `alias`, its values added to `params`; `undefined` when the
 * clause has a shape this does not translate.
 */
export function whereToSql(where: unknown, alias: string, columns: Readonly<Record<string, ColumnType>>, params: SqlParams): string | undefined {
  if (typeof where !== 'object' || where === null || Array.isArray(where)) return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'AND' || key === 'OR') {
      const list = Array.isArray(value) ? value : [value];
      const terms: string[] = [];
      for (const item of list) {
        const term = whereToSql(item, alias, columns, params);
        if (term === undefined) return undefined;
        terms.push(term);
      }
      // Prisma: an empty AND matches every row, an empty OR none.
      if (terms.length === 0) parts.push(key === 'AND' ? 'TRUE' : 'FALSE');
      else parts.push(`(${terms.join(key === 'AND' ? ' AND ' : ' OR ')})`);
      continue;
    }
    const type = Object.hasOwn(columns, key) ? columns[key] : undefined;
    if (!type) return undefined;
    const term = columnCondition(`${alias}."${key}"`, type, value, params);
    if (term === undefined) return undefined;
    parts.push(term);
  }
  return parts.length === 0 ? 'TRUE' : parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
}

function columnCondition(column: string, type: ColumnType, value: unknown, params: SqlParams): string | undefined {
  if (typeof value === 'string') return `${column} = ${params.add(value, sqlType(type))}`;
  if (value === null) return `${column} IS NULL`;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const operators = Object.entries(value).filter(([, operand]) => operand !== undefined);
  if (operators.length !== 1) return undefined;
  const [operator, operand] = operators[0]!;
  if (operator === 'equals' && typeof operand === 'string') return `${column} = ${params.add(operand, sqlType(type))}`;
  if (operator === 'in' && Array.isArray(operand) && operand.every((item) => typeof item === 'string')) {
    return operand.length === 0 ? 'FALSE' : `${column} = ANY(${params.add(operand, `${sqlType(type)}[]`)})`;
  }
  return undefined;
}
