import { builder } from '../../builder.ts';

// The cancellation feature's GraphQL types, queries and mutations live here.
export {};
void builder;
