import { describe, expect, it } from 'vitest';
import SchemaBuilder from '@pothos/core';
import { graphql } from 'graphql';
import { PLAIN_PROPERTY } from '../../src/builder.ts';

// src/builder.ts (PlainPropertyPlugin): a field marked plainProperty loses its resolver, so the mark is checked as the
// schema is built; a resolver that answers anything but its parent's property of the field's name is refused.
const schemaWith = (resolve: (parent: { name: string; other: string }) => string) => {
  const builder = new SchemaBuilder<{ Objects: { Thing: { name: string; other: string } } }>({ plugins: ['plainProperty'] } as never); // no prisma or scopeAuth options: only this plugin
  builder.objectType('Thing', { fields: (t) => ({ name: t.string({ extensions: PLAIN_PROPERTY, resolve }) }) });
  builder.queryType({ fields: (t) => ({ thing: t.field({ type: 'Thing', resolve: () => ({ name: '名称', other: '其他' }) }) }) });
  return builder.toSchema();
};

describe('a field marked plainProperty', () => {
  it('keeps no resolver and answers its parent’s property', async () => {
    const schema = schemaWith((thing) => thing.name);
    expect(schema.getQueryType()!.getFields().thing!.resolve).toBeTypeOf('function');
    expect((schema.getType('Thing') as import('graphql').GraphQLObjectType).getFields().name!.resolve).toBeUndefined();
    expect(await graphql({ schema, source: '{ thing { name } }' })).toEqual({ data: { thing: { name: '名称' } } });
  });

  it('is refused when its resolver answers something else', () => {
    expect(() => schemaWith((thing) => thing.other)).toThrow(/Thing\.name is marked plainProperty/);
    expect(() => schemaWith((thing) => thing.name.toUpperCase())).toThrow(/Thing\.name is marked plainProperty/);
  });
});
