import { describe, expect, it } from 'vitest';
import { orderNumber } from '../../src/domains/order/order-number.ts';
import { findOrderTransition, ORDER_STATUSES, ORDER_TRANSITIONS, type OrderAction } from '../../src/domains/order/order-states.ts';
import { checkUpload, sniffFileKind } from '../../src/files/sniff.ts';

describe('order numbers', () => {
  it('follow the platform pattern: prefix, local time to the second, five digits', () => {
    const number = orderNumber('TBaoHanZKXJ', new Date('2025-04-25T06:27:55Z'), 'Asia/Shanghai');
    expect(number).toMatch(/^TBaoHanZKXJ20250425142755\d{5}$/);
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
