import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { compiledRuns, fallBack, inCompiledRun, useCompiledQueries } from '../../src/compiled-queries.ts';

// src/compiled-queries.ts on a schema of its own: a mutation whose compiled run falls back below its root after the
// root field has written. The usual run after it must answer the root with what the compiled run resolved, never
// resolve it again: one write per request, from the very first mutation the schema compiles.
function server() {
  const writes: number[] = [];
  const schema = createSchema<object>({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Written { n: Int!, label: String! }
      type Mutation { write: Written!, again: Written! }
    `,
    resolvers: {
      Mutation: {
        write: () => {
          writes.push(writes.length + 1);
          return { n: writes.length };
        },
        again: () => {
          writes.push(writes.length + 1);
          return { n: writes.length };
        },
      },
      Written: {
        // As a prisma field the read model does not cover: a compiled run cannot answer it.
        label: (written: { n: number }, _args: unknown, context: object) => {
          if (inCompiledRun(context)) throw fallBack(context);
          return `written ${written.n}`;
        },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: [useCompiledQueries()], logging: false });
  const post = async (query: string) => {
    const response = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return response.json() as Promise<{ data?: Record<string, { n: number; label: string }>; errors?: unknown[] }>;
  };
  return { writes, post };
}

describe('compiled mutations', () => {
  it('write once when a compiled run falls back after the root field wrote, the first compiled mutation included', async () => {
    const { writes, post } = server();
    const before = { ...compiledRuns };
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await post('mutation { write { n label } }'));
    // The second ran compiled and fell back; the third, having fallen back more than completed, ran the usual way.
    expect(compiledRuns.fallbacks - before.fallbacks).toBe(1);
    expect(writes).toEqual([1, 2, 3]);
    expect(answers).toEqual([1, 2, 3].map((n) => ({ data: { write: { n, label: `written ${n}` } } })));
  });

  it('replay every root field of a mutation, in order', async () => {
    const { writes, post } = server();
    const query = 'mutation { write { n label } again { n label } }';
    await post(query);
    const compiled = await post(query);
    expect(writes).toEqual([1, 2, 3, 4]);
    expect(compiled).toEqual({ data: { write: { n: 3, label: 'written 3' }, again: { n: 4, label: 'written 4' } } });
  });
});
