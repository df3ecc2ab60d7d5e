/**
 * graphql-jit's compiled coercion of variables, with the one check the compiled runs add before it
 * (`arrayForInputObject`), refuses what graphql-js refuses, on this API's schema: the compiled runs
 * (src/compiled-queries.ts) leave the check to graphql-jit and hand a refused operation to the executor, so an input
 * graphql-jit accepted and graphql-js refused would run where the executor would have answered an error. Every input
 * type, scalar and enum of the schema, nullable and not, in a list and not, against values of every kind, and each
 * field of an input object alone with each of them.
 */
import { describe, expect, it } from 'vitest';
import {
  getNamedType,
  getVariableValues,
  isEnumType,
  isInputObjectType,
  isScalarType,
  parse,
  type GraphQLInputType,
  type GraphQLNamedType,
  type DocumentNode,
  type OperationDefinitionNode,
  typeFromAST,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { arrayForInputObject } from '../../src/compiled-queries.ts';
import { getSchema } from '../../src/schema.ts';

const schema = getSchema();

const SCALAR_VALUES: unknown[] = [
  null,
  'x',
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '123.45',
  '1e3',
  '99999999999999999999.99',
  '2026-01-01T00:00:00Z',
  '2026-01-01',
  'not a date',
  Buffer.from('GuaranteeOrder:00000000-0000-4000-8000-000000000000').toString('base64'),
  '00000000-0000-4000-8000-000000000000',
  0,
  1,
  -1,
  1.5,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  {},
  [],
  ['x'],
  [1],
  { a: 1 },
];

/** Values for an input object: empty, unknown fields, and each field given each scalar value alone. */
function objectValues(type: GraphQLNamedType): unknown[] {
  if (!isInputObjectType(type)) return [];
  const values: unknown[] = [{}, { unknownField: 1 }];
  for (const [name, field] of Object.entries(type.getFields())) {
    const named = getNamedType(field.type);
    const samples = isInputObjectType(named) ? [{}, null, 'x', [], [{}], { unknownField: 1 }] : isEnumType(named) ? [...named.getValues().map((v) => v.name), 'NOPE', 1, null] : SCALAR_VALUES;
    for (const sample of samples) values.push({ [name]: sample });
  }
  return values;
}

const compiledByDefinitions = new Map<string, CompiledQuery>();

function refusedByJit(definitions: string, variables: Record<string, unknown>, guarded = true): boolean {
  const document = documentOf(definitions);
  if (guarded) {
    const operation = document.definitions[0] as OperationDefinitionNode;
    const types = (operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, typeFromAST(schema, d.type) as GraphQLInputType] as const);
    if (types.some(([name, type]) => arrayForInputObject(type, variables[name]))) return true;
  }
  let compiled = compiledByDefinitions.get(definitions);
  if (!compiled) {
    const made = compileQuery(schema, document, 'Q');
    if (!isCompiledQuery(made)) throw new Error(`graphql-jit did not compile ${definitions}`);
    compiledByDefinitions.set(definitions, (compiled = made));
  }
  const result = compiled.query(undefined, {}, variables) as { data?: unknown; errors?: unknown[] };
  return !('data' in result) || result.data === undefined;
}

const parsedByDefinitions = new Map<string, DocumentNode>();
const documentOf = (definitions: string) => {
  let document = parsedByDefinitions.get(definitions);
  if (!document) parsedByDefinitions.set(definitions, (document = parse(`query Q(${definitions}) { __typename }`)));
  return document;
};

function refusedByGraphqlJs(definitions: string, variables: Record<string, unknown>): boolean {
  const operation = documentOf(definitions).definitions[0] as OperationDefinitionNode;
  return getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors !== undefined;
}

const inputTypes = Object.values(schema.getTypeMap()).filter(
  (type): type is GraphQLNamedType & GraphQLInputType => !type.name.startsWith('__') && (isInputObjectType(type) || isScalarType(type) || isEnumType(type)),
);

describe('variable coercion: graphql-jit and graphql-js', () => {
  it('refuse the same values of every input type of the schema', () => {
    const disagreements: string[] = [];
    let cases = 0;
    for (const type of inputTypes) {
      const values = [...SCALAR_VALUES, ...(isEnumType(type) ? [...type.getValues().map((v) => v.name), 'NOPE'] : []), ...objectValues(type)];
      for (const wrapper of [`${type.name}`, `${type.name}!`, `[${type.name}!]`, `[${type.name}]!`]) {
        const definitions = `$v: ${wrapper}`;
        for (const value of [...values, undefined, values.slice(0, 3)]) {
          const variables = value === undefined ? {} : { v: value };
          cases += 1;
          const [jit, js] = [refusedByJit(definitions, variables), refusedByGraphqlJs(definitions, variables)];
          if (jit !== js) disagreements.push(`${definitions} = ${JSON.stringify(value)}: graphql-jit ${jit ? 'refuses' : 'accepts'}, graphql-js ${js ? 'refuses' : 'accepts'}`);
        }
      }
    }
    expect(cases).toBeGreaterThan(20_000);
    expect(disagreements).toEqual([]);
  });

  it('need the check for an array where an input object belongs, which graphql-jit alone takes', () => {
    expect(refusedByGraphqlJs('$v: CreditInfoInput', { v: [] })).toBe(true);
    expect(refusedByJit('$v: CreditInfoInput', { v: [] }, false)).toBe(false);
    expect(refusedByJit('$v: CreditInfoInput', { v: [] })).toBe(true);
    const submit = { orderId: 'x', noticeVersion: 'a', termsVersion: 'b', creditInfo: [] };
    expect(refusedByJit('$input: SubmitOrderInput!', { input: submit }, false)).toBe(false);
    expect(refusedByJit('$input: SubmitOrderInput!', { input: submit })).toBe(true);
    expect(refusedByJit('$input: [SubmitOrderInput!]', { input: [{ ...submit, creditInfo: {} }, submit] })).toBe(true);
    expect(refusedByJit('$input: SubmitOrderInput!', { input: { ...submit, creditInfo: {} } })).toBe(false);
  });

  it('accept the inputs the front ends send', () => {
    const section = Buffer.from('BidSection:00000000-0000-4000-8000-000000000001').toString('base64');
    const product = Buffer.from('Product:00000000-0000-4000-8000-000000000002').toString('base64');
    const create = { input: { sectionId: section, productId: product, handlerName: '李经办', handlerMobile: '13912345678' } };
    expect(refusedByGraphqlJs('$input: CreateOrderInput!', create)).toBe(false);
    expect(refusedByJit('$input: CreateOrderInput!', create)).toBe(false);
    expect(refusedByJit('$input: CreateOrderInput!', { input: { ...create.input, sectionId: 7 } })).toBe(refusedByGraphqlJs('$input: CreateOrderInput!', { input: { ...create.input, sectionId: 7 } }));
    expect(refusedByJit('$input: CreateOrderInput!', { input: { productId: product } })).toBe(true);
  });
});
