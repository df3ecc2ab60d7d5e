/**
 * Hand-written SQL beside Prisma, for the few hot reads where Prisma's per-statement and per-row cost would dominate
 * the request (issue 9): the session check every authenticated request makes, and the order-list page.
 *
 * Values are always parameters, never spliced into the text. Prisma stores `DateTime` as `timestamp(3)` without a
 * time zone, in UTC: select such a column through {@link utc} so every driver returns the same `Date`. Numeric
 * columns come back as text (select them `::text`) and are made Decimals by the caller.
 */
export interface Sql {
  query<R>(text: string, values: readonly unknown[]): Promise<R[]>;
}

/** A `timestamp` column read as the instant it stores (UTC), as Prisma reads it. */
export const utc = (column: string, as: string) => `${column} AT TIME ZONE 'UTC' AS "${as}"`;

/** Collects a statement's parameters; `add` answers the placeholder of a value, cast to `type`. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}
