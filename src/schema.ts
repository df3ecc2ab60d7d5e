import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './domains/common/common.types.ts';
import './domains/tenant/tenant.types.ts';
import './domains/catalog/catalog.types.ts';
import './domains/identity/identity.types.ts';
import './domains/identity/identity.mutations.ts';
import './domains/section/section.types.ts';
import './files/file.types.ts';
import './domains/order/order.types.ts';
import './domains/live/live.types.ts';
import './domains/guarantee/guarantee.types.ts';
import './domains/refund/refund.types.ts';
import './domains/extension/extension.types.ts';
import './domains/cancellation/cancellation.types.ts';
import './domains/claim/claim.types.ts';
import './domains/invoice/invoice.types.ts';
import './domains/review/review.types.ts';

let schema: GraphQLSchema | undefined;

/** The executable schema, built once per process. */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}

/** The SDL checked in as schema/schema.graphql: what codegen and front ends read. */
export function printSchemaFile(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}
