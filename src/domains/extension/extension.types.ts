import { builder } from '../../builder.ts';

// The extension feature's GraphQL types, queries and mutations live here.
export {};
void builder;
