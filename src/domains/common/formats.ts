/** Formats checked the same way wherever they are entered. */

/** A mainland mobile number: 11 digits starting with 1. */
export const MOBILE = /^1[3-9]\d{9}$/;

/** A UUID as the database stores ids; checked before an id from a client reaches a `::uuid` cast. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A bank account number, spaces removed: 6 to 32 digits. */
export const ACCOUNT_NUMBER = /^\d{6,32}$/;

/**
 * An id no row has: a request without a tenant scopes lookups to it, so a tenant-less `node(id)` finds nothing rather
 * than a row of any tenant.
 */
export const NO_TENANT = '00000000-0000-0000-0000-000000000000';
