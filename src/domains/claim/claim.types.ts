import { builder } from '../../builder.ts';

// The claim feature's GraphQL types, queries and mutations live here.
export {};
void builder;
