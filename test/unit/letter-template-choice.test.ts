import { describe, expect, it } from 'vitest';
import { letterTemplate } from '../../src/domains/guarantee/guarantee.service.ts';
import { DEFAULT_LETTER_TEMPLATES } from '../../src/domains/guarantee/letter.ts';
import { TENANTS_DIR } from '../../src/server.ts';
import { loadTenants } from '../../src/tenants/load.ts';

describe('choosing a letter wording', () => {
  it('takes the institution’s, else the tenant’s for the kind, else the default; cities inherit the province’s', async () => {
    const tenants = await loadTenants(TENANTS_DIR);
    const context = (code: string) => {
      const loaded = tenants.find((t) => t.code === code)!;
      return { id: code, code, name: loaded.file.name, parentCode: loaded.parentCode, config: loaded.file, trustedCaRootPems: [] };
    };
    expect(letterTemplate(context('hunan'), 'hn-demo-insurer', 'INSURER').title).toBe('湖南省公共资源交易投标保证保险保单');
    expect(letterTemplate(context('hunan-changsha'), 'hn-demo-insurer', 'INSURER').title).toBe('湖南省公共资源交易投标保证保险保单');
    expect(letterTemplate(context('hunan'), 'hn-demo-bank', 'BANK')).toEqual(DEFAULT_LETTER_TEMPLATES.BANK);
    expect(letterTemplate(context('xinjiang'), 'pingan', 'INSURER')).toEqual(DEFAULT_LETTER_TEMPLATES.INSURER);
    const withOwn = context('hunan');
    withOwn.config = {
      ...withOwn.config,
      institutions: withOwn.config.institutions.map((i) => (i.code === 'hn-demo-insurer' ? { ...i, letterTemplate: { title: '自有保单', paragraphs: ['{{bidderName}}'] } } : i)),
    };
    expect(letterTemplate(withOwn, 'hn-demo-insurer', 'INSURER').title).toBe('自有保单');
  });
});
