import { builder } from '../../builder.ts';

// The review feature's GraphQL types, queries and mutations live here.
export {};
void builder;
