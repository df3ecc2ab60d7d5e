import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import type { UploadedFile } from '../domains/order/order.service.ts';

builder.scalarType('File', {
  description: 'An uploaded file (GraphQL multipart request). Its kind is checked by content, never by name.',
  serialize: () => {
    throw new GraphQLError('File is an input type only');
  },
});

/** Reads an uploaded file's bytes for the domain rules. */
export async function readUpload(file: File | null | undefined): Promise<UploadedFile | null> {
  if (!file) return null;
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}
