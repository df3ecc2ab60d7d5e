import { randomInt } from 'node:crypto';

/**
 * An order number in the platforms' pattern: the tenant's prefix, the local time to the second and five random
 * digits, e.g. TBaoHanZKXJ2025042514275577655. Uniqueness is enforced by the database; callers retry on a clash.
 */
export function orderNumber(prefix: string, at: Date, timeZone: string): string {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(at).map((part) => [part.type, part.value]));
  const stamp = `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`;
  return `${prefix}${stamp}${String(randomInt(0, 100_000)).padStart(5, '0')}`;
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
