import { builder } from '../../builder.ts';

// The refund feature's GraphQL types, queries and mutations live here.
export {};
void builder;
