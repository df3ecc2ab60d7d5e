import { Prisma } from '../../db/generated/prisma/client.ts';
import { ValidationError } from '../../errors.ts';

export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

/** The largest amount a Decimal(14, 2) column holds. */
const MAX_AMOUNT = new Decimal('999999999999.99');

/**
 * Parses a money amount given as a decimal string in yuan: positive, at most two places, never a float.
 * Errors name `field` and carry stable codes: AMOUNT_MALFORMED, AMOUNT_PRECISION, AMOUNT_NOT_POSITIVE, AMOUNT_TOO_LARGE.
 */
export function parseAmount(input: string, field: string): Decimal {
  const text = input.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) {
    throw new ValidationError(field, `${field} must be a decimal amount in yuan such as "30000" or "30000.50"`, 'AMOUNT_MALFORMED');
  }
  const amount = new Decimal(text);
  if (amount.decimalPlaces() > 2) {
    throw new ValidationError(field, `${field} has more than two decimal places (yuan and fen only)`, 'AMOUNT_PRECISION');
  }
  if (amount.lte(0)) throw new ValidationError(field, `${field} must be greater than zero`, 'AMOUNT_NOT_POSITIVE');
  if (amount.gt(MAX_AMOUNT)) throw new ValidationError(field, `${field} is larger than ${MAX_AMOUNT.toFixed(2)}`, 'AMOUNT_TOO_LARGE');
  return amount;
}

/** Yuan with exactly two places, as the platforms print amounts ("600.00"). */
export function formatMoney(amount: Decimal | string | number): string {
  return (amount instanceof Decimal ? amount : new Decimal(amount)).toFixed(2, Decimal.ROUND_HALF_UP);
}

export interface PremiumQuote {
  amount: Decimal;
  rate: Decimal;
  minimumPremium: Decimal;
  /** amount × rate, rounded half-up to the fen. */
  calculated: Decimal;
  /** max(calculated, minimumPremium): what the bidder pays. */
  premium: Decimal;
  minimumApplied: boolean;
}

/** The catalogue's premium rule: premium = max(amount × rate, minimum premium), in yuan to two places. */
export function quotePremium(amount: Decimal, rate: Decimal, minimumPremium: Decimal): PremiumQuote {
  const calculated = amount.mul(rate).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const minimumApplied = calculated.lt(minimumPremium);
  return { amount, rate, minimumPremium, calculated, premium: minimumApplied ? minimumPremium : calculated, minimumApplied };
}
