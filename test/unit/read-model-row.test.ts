import { describe, expect, it } from 'vitest';
import { defaultFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import { COLUMNS_ONLY, readModelPrototype, type ReadModelLoads } from '../../src/db/read-model-row.ts';
import { getSchema } from '../../src/schema.ts';

// src/builder.ts: the prisma plugin's resolvers answer an object the read model built from the object itself, without
// the plugin's per-row lookup of where the row's planned data is (issue 9). The lookup needs the request's context
// and the field's path, so a field resolved here with neither answered from the object; one that went the plugin's
// way fails. The order-list tests (test/order/order-list-sql.test.ts) compare whole answers with Prisma's.

// As the read model builds its objects: on a prototype that carries the mark.
const markReadModelRow = <T extends object>(object: T, loads: ReadModelLoads): T => Object.assign(Object.create(readModelPrototype(loads)) as T, object);

describe('fields of an object the read model built', () => {
  const schema = getSchema();
  const field = (type: string, name: string) => (schema.getType(type) as GraphQLObjectType).getFields()[name]!;
  const resolve = (type: string, name: string, parent: object) =>
    (field(type, name).resolve ?? defaultFieldResolver)(parent, {}, {}, { parentType: schema.getType(type), fieldName: name } as unknown as GraphQLResolveInfo);
  const event = markReadModelRow({ label: '申请中', toStatus: 'DRAFT', action: 'CREATE', createdAt: new Date(0) }, COLUMNS_ONLY);
  const section = markReadModelRow({ id: 's', code: 'S-1', name: '标段', status: 'PUBLISHED', projectType: 'CONSTRUCTION' }, COLUMNS_ONLY);

  it('answer from the object: columns, and what the mark says the read model loaded', () => {
    const order = markReadModelRow({ handlerName: '张三', events: [event], section, bidder: { name: '投标人' } }, { section: true, latestEvent: true, bidder: true });
    expect(resolve('GuaranteeOrder', 'handlerName', order)).toBe('张三');
    expect(resolve('GuaranteeOrder', 'section', order)).toBe(section);
    expect(resolve('GuaranteeOrder', 'latestEvent', order)).toBe(event);
    expect(resolve('GuaranteeOrder', 'bidderName', order)).toBe('投标人');
    expect(resolve('BidSection', 'status', section)).toBe('PUBLISHED');
    expect(resolve('BidSection', 'projectType', section)).toBe('CONSTRUCTION');
    expect(resolve('OrderEvent', 'action', event)).toBe('CREATE');
  });

  it('go the plugin’s way for what the mark does not say was loaded, and for objects without the mark', () => {
    // `events` holds the timeline here (oldest first), not the latest event: the latest event must not be read off it.
    const withTimeline = markReadModelRow({ events: [event] }, { latestEvent: false, events: true });
    expect(resolve('GuaranteeOrder', 'timeline', withTimeline)).toEqual([event]);
    expect(() => resolve('GuaranteeOrder', 'latestEvent', withTimeline)).toThrow();
    expect(() => resolve('GuaranteeOrder', 'handlerName', { handlerName: '张三' })).toThrow();
    expect(() => resolve('GuaranteeOrder', 'section', { section })).toThrow();
  });

  // src/builder.ts (exposesTypeColumn, PlainPropertyPlugin): a field that only reads its parent's property, of a column
  // its type selects with every row or marked plainProperty, has no resolver, so graphql-jit reads it inline.
  it('have no resolver where they read a column the type always selects, or a plain property', () => {
    const plain = [
      ['GuaranteeOrder', ['number', 'status', 'createdAt', 'product', 'institution']],
      ['BidSection', ['status']],
      ['Institution', ['code', 'name']],
      ['Product', ['code', 'name', 'status', 'issuance']],
      ['OrderEvent', ['label', 'toStatus']],
      ['QueryOrdersConnection', ['edges', 'pageInfo']],
      ['QueryOrdersConnectionEdge', ['node']],
    ] as const;
    for (const [type, names] of plain) for (const name of names) expect(field(type, name).resolve, `${type}.${name}`).toBeUndefined();
    // Exposed columns the type does not select with every row keep the plugin's lookup; computed fields their resolver.
    for (const [type, name] of [['GuaranteeOrder', 'handlerName'], ['GuaranteeOrder', 'amount'], ['BidSection', 'code'], ['OrderEvent', 'action']] as const) {
      expect(field(type, name).resolve, `${type}.${name}`).toBeTypeOf('function');
    }
  });

  it('lose the mark in a copy made by spreading', () => {
    const copy = { ...markReadModelRow({ handlerName: '张三' }, COLUMNS_ONLY) };
    expect(() => resolve('GuaranteeOrder', 'handlerName', copy)).toThrow();
  });
});
