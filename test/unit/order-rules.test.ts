import { describe, expect, it } from 'vitest';
import { orderNumber } from '../../src/domains/order/order-number.ts';
import { findOrderTransition, ORDER_STATUSES, ORDER_TRANSITIONS, type OrderAction } from '../../src/domains/order/order-states.ts';
import { checkUpload, sniffFileKind } from '../../src/files/sniff.ts';

describe('order numbers', () => {
  it('follow the platform pattern: prefix, local time to the second, five digits', () => {
    const number = orderNumber('TBaoHanZKXJ', new Date('2025-04-25T06:27:55Z'), 'Asia/Shanghai');
    expect(number).toMatch(/^TBaoHanZKXJ20250425142755\d{5}$/);
  });

  it('read the local time as ICU does, across daylight-saving changes and odd offsets', () => {
    const zones = ['Asia/Shanghai', 'Asia/Urumqi', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
    const icu = (formatter: Intl.DateTimeFormat, ms: number) => {
      const parts = Object.fromEntries(formatter.formatToParts(ms).map((part) => [part.type, part.value]));
      return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`;
    };
    const offsetOf = (local: string, ms: number) =>
      Date.UTC(+local.slice(0, 4), +local.slice(4, 6) - 1, +local.slice(6, 8), +local.slice(8, 10), +local.slice(10, 12), +local.slice(12, 14)) - Math.floor(ms / 1000) * 1000;
    const mismatches: string[] = [];
    const check = (zone: string, formatter: Intl.DateTimeFormat, ms: number) => {
      const expected = icu(formatter, ms);
      const actual = orderNumber('P', new Date(ms), zone).slice(1, 15);
      if (actual !== expected) mismatches.push(`${zone} ${new Date(ms).toISOString()}: ${actual} against ${expected}`);
      return offsetOf(expected, ms);
    };
    // Every 3 h 7 min 11 s through two years (both seasons' changes in every zone, the minutes and seconds varying);
    // where the offset changed since the last sample, the change found to the second and the half hour around it.
    const STEP = 11_231_000;
    for (const zone of zones) {
      const formatter = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
      let before: number | undefined;
      for (let ms = Date.UTC(2025, 0, 1, 0, 0, 7); ms < Date.UTC(2027, 0, 1); ms += STEP) {
        const offset = check(zone, formatter, ms);
        if (before !== undefined && offset !== before) {
          let [low, high] = [ms - STEP, ms];
          while (high - low > 1000) {
            const middle = low + Math.floor((high - low) / 2000) * 1000;
            if (offsetOf(icu(formatter, middle), middle) === before) low = middle;
            else high = middle;
          }
          for (let s = high - 3000; s <= high + 3000; s += 1000) check(zone, formatter, s);
          for (let s = high - 900_000; s <= high + 900_000; s += 7000) check(zone, formatter, s);
        }
        before = offset;
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('the order state table', () => {
  it('sends a reviewed product to underwriting review and a real-time one straight to payment', () => {
    expect(findOrderTransition('DRAFT', 'SUBMIT', 'BIDDER', { issuance: 'REVIEWED' }).to).toBe('UNDER_REVIEW');
    expect(findOrderTransition('DRAFT', 'SUBMIT', 'BIDDER', { issuance: 'REAL_TIME' }).to).toBe('AWAITING_PAYMENT');
  });

  it('lets nobody move a finished order', () => {
    const actions: OrderAction[] = ['SUBMIT', 'APPROVE_UNDERWRITING', 'REJECT_UNDERWRITING', 'CONFIRM_PAYMENT', 'ISSUE', 'ABANDON', 'EXPIRE', 'CANCEL'];
    for (const status of ['ISSUED', 'ABANDONED', 'EXPIRED', 'REJECTED', 'CANCELLED'] as const) {
      for (const action of actions) {
        expect(() => findOrderTransition(status, action, 'INSTITUTION', { issuance: 'REVIEWED' })).toThrow(
          expect.objectContaining({ code: 'ILLEGAL_TRANSITION', details: { currentStatus: status, action } }),
        );
      }
    }
  });

  it('lets a bidder abandon only before payment, and only the institution confirm payment', () => {
    expect(() => findOrderTransition('PAID', 'ABANDON', 'BIDDER', { issuance: 'REAL_TIME' })).toThrow(/state PAID/);
    expect(() => findOrderTransition('AWAITING_PAYMENT', 'CONFIRM_PAYMENT', 'BIDDER', { issuance: 'REAL_TIME' })).toThrow(/ILLEGAL|cannot/);
  });

  it('revives an expired order only for money paid before the expiry', () => {
    expect(findOrderTransition('EXPIRED', 'CONFIRM_PAYMENT', 'INSTITUTION', { issuance: 'REVIEWED', paidBeforeExpiry: true }).to).toBe('PAID');
    expect(() => findOrderTransition('EXPIRED', 'CONFIRM_PAYMENT', 'INSTITUTION', { issuance: 'REVIEWED', paidBeforeExpiry: false })).toThrow(/EXPIRED/);
  });

  it('names only known states', () => {
    for (const row of ORDER_TRANSITIONS) {
      expect(ORDER_STATUSES).toContain(row.from);
      expect(ORDER_STATUSES).toContain(row.to);
    }
  });
});

describe('uploads are checked by content', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
  const pdf = new TextEncoder().encode('%PDF-1.7\n...');
  const exe = new TextEncoder().encode('MZ\x90\x00 this is not an image');

  it('recognise jpeg, png, pdf and zip', () => {
    expect([png, jpeg, pdf, Uint8Array.from([0x50, 0x4b, 3, 4, 0])].map(sniffFileKind)).toEqual(['png', 'jpeg', 'pdf', 'zip']);
  });

  it('refuse a disguised, oversized or empty file naming the field', () => {
    expect(() => checkUpload(exe, ['jpeg', 'png'], 5 * 1024 * 1024, 'openingPermit')).toThrow(
      expect.objectContaining({ code: 'FILE_TYPE_NOT_ALLOWED', field: 'openingPermit' }),
    );
    expect(() => checkUpload(pdf, ['jpeg', 'png'], 5 * 1024 * 1024, 'openingPermit')).toThrow(expect.objectContaining({ code: 'FILE_TYPE_NOT_ALLOWED' }));
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(png);
    expect(() => checkUpload(big, ['png'], 5 * 1024 * 1024, 'openingPermit')).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
    expect(() => checkUpload(new Uint8Array(0), ['png'], 100, 'proof')).toThrow(expect.objectContaining({ code: 'FILE_EMPTY', field: 'proof' }));
    expect(checkUpload(png, ['jpeg', 'png'], 5 * 1024 * 1024, 'openingPermit')).toBe('png');
  });
});
