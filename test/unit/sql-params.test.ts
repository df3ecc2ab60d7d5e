import { describe, expect, it } from 'vitest';
import { SqlParams } from '../../src/db/sql.ts';

describe('SqlParams', () => {
  it('gives a value added again with the same cast the same placeholder, so PostgreSQL sees one condition (issue 9)', () => {
    const params = new SqlParams();
    const tenant = '833185fc-409a-4caa-9e32-811754de9f60';
    expect([params.add(tenant, 'uuid'), params.add('x', 'text'), params.add(tenant, 'uuid')]).toEqual(['$1::uuid', '$2::text', '$1::uuid']);
    expect(params.values).toEqual([tenant, 'x']);
  });

  it('keeps apart what is not the same: another cast, another JS type, no cast, null, arrays', () => {
    const params = new SqlParams();
    const placeholders = [
      params.add('1', 'text'),
      params.add('1', 'uuid'),
      params.add(1, 'text'),
      params.add('1'),
      params.add('1'),
      params.add(null, 'text'),
      params.add(null, 'text'),
      params.add(['A'], 'text[]'),
      params.add(['A'], 'text[]'),
    ];
    expect(new Set(placeholders).size).toBe(placeholders.length);
    expect(params.values).toHaveLength(placeholders.length);
  });

  it('writes an instant once per statement when it is added twice', () => {
    const params = new SqlParams();
    const at = new Date('2026-12-02T03:04:05.678Z');
    expect(params.addTime(at)).toBe(params.addTime(at));
    expect(params.values).toEqual(['2026-12-02T03:04:05.678Z']);
  });
});
