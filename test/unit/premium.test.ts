import { describe, expect, it } from 'vitest';
import { Decimal, formatMoney, parseAmount, quotePremium } from '../../src/domains/catalog/money.ts';

describe('the premium rule', () => {
  it.each([
    ['30000', '0.007', '600', '210.00', '600.00', true],
    ['100000', '0.007', '600', '700.00', '700.00', false],
    ['85714.29', '0.007', '600', '600.00', '600.00', false],
    ['1000000', '0.001', '300', '1000.00', '1000.00', false],
    ['12345.67', '0.0055', '0', '67.90', '67.90', false],
  ])('%s yuan at rate %s with minimum %s: calculated %s, premium %s', (amount, rate, minimum, calculated, premium, minimumApplied) => {
    const quote = quotePremium(new Decimal(amount), new Decimal(rate), new Decimal(minimum));
    expect(formatMoney(quote.calculated)).toBe(calculated);
    expect(formatMoney(quote.premium)).toBe(premium);
    expect(quote.minimumApplied).toBe(minimumApplied);
  });

  it('is exact where floating point is not', () => {
    expect(0.1 * 3 * 1000).not.toBe(300);
    expect(formatMoney(quotePremium(new Decimal('0.30'), new Decimal('0.5'), new Decimal('0')).premium)).toBe('0.15');
  });
});

describe('amounts', () => {
  it.each([
    ['abc', 'AMOUNT_MALFORMED'],
    ['1e5', 'AMOUNT_MALFORMED'],
    ['30000.001', 'AMOUNT_PRECISION'],
    ['0', 'AMOUNT_NOT_POSITIVE'],
    ['-5', 'AMOUNT_NOT_POSITIVE'],
    ['1000000000000', 'AMOUNT_TOO_LARGE'],
  ])('refuse %s with %s', (input, code) => {
    expect(() => parseAmount(input, 'amount')).toThrow(expect.objectContaining({ code, field: 'amount' }));
  });

  it('accept yuan with up to two places', () => {
    expect(parseAmount(' 30000.5 ', 'amount').toFixed(2)).toBe('30000.50');
  });
});
