import { builder } from '../../builder.ts';

// The invoice feature's GraphQL types, queries and mutations live here.
export {};
void builder;
