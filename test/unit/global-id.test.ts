import { describe, expect, it } from 'vitest';
import { isObjectType } from 'graphql';
import { getSchema } from '../../src/schema.ts';

// src/builder.ts replaces the relay plugin's `async` globalID resolver: a node's id is encoded synchronously, so the
// objects of a list complete without a promise each (issue 9). The encoding stays the plugin's: base64 of `Type:id`.
describe('node ids', () => {
  const schema = getSchema();
  const nodeTypes = Object.values(schema.getTypeMap()).filter(
    (type) => isObjectType(type) && type.getInterfaces().some((iface) => iface.name === 'Node'),
  );

  it('are encoded synchronously, as base64 of Type:id, for every node type', () => {
    expect(nodeTypes.map((type) => type.name)).toEqual(expect.arrayContaining(['GuaranteeOrder', 'BidSection', 'Product']));
    for (const type of nodeTypes) {
      if (!isObjectType(type)) continue;
      const resolve = type.getFields().id!.resolve!;
      const id = resolve({ id: '0d9f3c1e-5b7a-4c2d-9e8f-112233445566' }, {}, {}, { parentType: type, fieldName: 'id' } as never);
      expect(id, type.name).toBe(Buffer.from(`${type.name}:0d9f3c1e-5b7a-4c2d-9e8f-112233445566`).toString('base64'));
    }
  });
});
