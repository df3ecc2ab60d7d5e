import { randomInt } from 'node:crypto';

/**
 * An order number in the platforms' pattern: the tenant's prefix, the local time to the second and five random
 * digits, e.g. TBaoHanZKXJ2025042514275577655. Uniqueness is enforced by the database; callers retry on a clash.
 */
export function orderNumber(prefix: string, at: Date, timeZone: string): string {
  const local = new Date(at.getTime() + offsetAt(timeZone, at.getTime()));
  const stamp =
    String(local.getUTCFullYear()).padStart(4, '0') +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds());
  return `${prefix}${stamp}${String(randomInt(0, 100_000)).padStart(5, '0')}`;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The zone's offset from UTC at an instant, in ms. ICU's `formatToParts` is most of an order number's cost (issue 9),
 * so it runs once per zone and quarter of an hour (UTC): offsets change on quarter-hour boundaries, never inside one.
 */
const QUARTER = 15 * 60_000;
const offsets = new Map<string, { quarter: number; offset: number }>();
function offsetAt(timeZone: string, ms: number): number {
  const quarter = Math.floor(ms / QUARTER);
  const known = offsets.get(timeZone);
  if (known?.quarter === quarter) return known.offset;
  const start = quarter * QUARTER;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(start)) parts[part.type] = part.value;
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offset = asUtc - start;
  offsets.set(timeZone, { quarter, offset });
  return offset;
}

/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
