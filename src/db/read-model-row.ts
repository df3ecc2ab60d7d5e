/**
 * The mark of an object a hand-written read model built (src/domains/order/order-read-model.ts), for the prisma
 * plugin's resolvers (src/builder.ts).
 *
 * A read model answers a query only when it loads everything the query's planned `select` asks for, exactly as
 * asked. So a field of an object it built finds its data on the object, and the prisma plugin's per-row lookup of
 * where that row's planned data is (a loader-map lookup and a scope per row of a list: about a tenth of an order-list
 * page's CPU, issue 9) can be skipped for it. It is skipped for two kinds of field only:
 * - a field whose own `select` is static and asks for `true` only (`t.expose…`, `select: { rate: true }`): nothing
 *   can conflict there;
 * - a field that names, in `extensions.readModelLoad`, what of its parent's it reads, and whose parent's mark says
 *   the read model loaded that (`{ latestEvent: true }`): where two fields read one relation with different query
 *   options (an order's timeline and its latest event), the planned `select` holds only one of them, and the other
 *   still goes the plugin's way, which loads it separately.
 *
 * The mark is a non-enumerable property of the object's prototype ({@link readModelPrototype}): a copy made by
 * spreading (which may change what the object holds) drops it and goes the plugin's way again.
 */
export const READ_MODEL_ROW = Symbol('read model row');

/** What the read model loaded of the object, by the names fields give in `extensions.readModelLoad`. */
export type ReadModelLoads = Readonly<Record<string, boolean>>;

/** A nested object's mark: its columns, no relation. */
export const COLUMNS_ONLY: ReadModelLoads = Object.freeze({});

const prototypes = new WeakMap<ReadModelLoads, object>();

/**
 * A prototype that carries the mark `loads`: a read model builds its objects with `Object.create(prototype)` and
 * marks them without defining a property on each (`Object.defineProperty` per object cost 1.4 % of an order-list
 * page's profile, issue 9). A copy made by spreading copies own properties only, so it drops the mark.
 */
export function readModelPrototype(loads: ReadModelLoads): object {
  let prototype = prototypes.get(loads);
  if (!prototype) prototypes.set(loads, (prototype = Object.create(Object.prototype, { [READ_MODEL_ROW]: { value: loads } }) as object));
  return prototype;
}

export function readModelLoads(parent: unknown): ReadModelLoads | undefined {
  return typeof parent === 'object' && parent !== null ? (parent as { [READ_MODEL_ROW]?: ReadModelLoads })[READ_MODEL_ROW] : undefined;
}
