/**
 * Hand-written SQL beside Prisma, where Prisma's per-statement and per-row cost would dominate a hot request (issue
 * 9): the session check every authenticated request makes, the order read model (the list, one order, the order a
 * mutation answers with), createOrder's read, the writes of createOrder and submitOrder, and the event relay's drain.
 *
 * Values are always parameters, never spliced into the text. Prisma stores `DateTime` as `timestamp(3)` without a
 * time zone, in UTC: read such a column through {@link utc} (or, where a list reads many, as epoch milliseconds, as
 * order-read-model.ts does), and write one through {@link SqlParams.addTime}, so every driver and process time zone agree.
 * Numeric columns come back as text (select them `::text`) and are made Decimals by the caller.
 */
export interface Sql {
  query<R>(text: string, values: readonly unknown[]): Promise<R[]>;
  /**
   * One transaction on one connection: `statements` (parameterless SQL, `;`-separated) run in the round trip that
   * opens the transaction, `work` gets the rows of the last of them, and the transaction commits when `work`
   * resolves and rolls back when it (or a statement) throws. For work that must hold the transaction open across
   * something outside the database, as the event relay publishes before it commits.
   */
  transaction<R, T>(statements: string, work: (rows: R[]) => Promise<T>): Promise<T>;
}

/** A `timestamp` column read as the instant it stores (UTC), as Prisma reads it. */
export const utc = (column: string, as: string) => `${column} AT TIME ZONE 'UTC' AS "${as}"`;

/**
 * Collects a statement's parameters; `add` answers the placeholder of a value, cast to `type`. A value added again
 * with the same cast gets the same placeholder: PostgreSQL then sees one condition where a statement repeats one
 * (the tenant of the ability's rule and the request's tenant, say), instead of a run-time check that the two
 * parameters are equal on every row (issue 9: a fifth of the order count's time). Without a cast, or for a value
 * that is not a string, number or boolean, every `add` is its own parameter.
 */
export class SqlParams {
  readonly values: unknown[] = [];
  /** Placeholders by cast, then by value (a Map tells `'1'` from `1`): no key string made per parameter. */
  readonly #placeholders = new Map<string, Map<string | number | boolean, string>>();

  add(value: unknown, type?: string): string {
    const reusable = type !== undefined && type !== '' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean');
    let byValue: Map<string | number | boolean, string> | undefined;
    if (reusable) {
      byValue = this.#placeholders.get(type);
      if (!byValue) this.#placeholders.set(type, (byValue = new Map()));
      const known = byValue.get(value);
      if (known) return known;
    }
    this.values.push(value);
    const placeholder = type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
    if (byValue) byValue.set(value as string | number | boolean, placeholder);
    return placeholder;
  }

  /** An instant as a value for a `timestamp` column: stored in UTC, as Prisma stores it. */
  addTime(at: Date): string {
    return `(${this.add(at.toISOString(), 'timestamptz')} AT TIME ZONE 'UTC')`;
  }
}
