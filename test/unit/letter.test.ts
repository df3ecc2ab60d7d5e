import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LETTER_TEMPLATES,
  LetterTemplateError,
  amountInWords,
  defaultLetterTemplate,
  preloadLetterFont,
  renderLetterPdf,
  renderLetterText,
  validateLetterTemplate,
  type LetterData,
  type LetterTemplate,
} from '../../src/domains/guarantee/letter.ts';

function letterData(overrides: Partial<LetterData> = {}): LetterData {
  return {
    tenantName: '衢州市公共资源交易电子保函平台',
    guaranteeNumber: 'BH3308002026011500001',
    orderNumber: 'TBaoHanQZ2026011509300012345',
    institutionName: '中国工商银行股份有限公司衢州分行',
    institutionKind: 'BANK',
    bidderName: '浙江鑫淼建设工程有限公司',
    bidderUscc: '91330800MA2DHK3X5L',
    tendereeName: '衢州市柯城区交通运输局',
    sectionName: '衢江大桥改建工程第二标段',
    sectionCode: 'QZJT-2026-002',
    projectName: '衢州市衢江大桥改建工程',
    amount: '300000.00',
    amountInWords: '叁拾万元整',
    premium: '600.00',
    // 00:30 in Shanghai is still the previous day in UTC: the dates must be printed in the tenant's zone.
    validFrom: new Date('2026-01-14T16:30:00Z'),
    validUntil: new Date('2026-04-14T15:59:59Z'),
    issuedAt: new Date('2026-01-14T16:30:00Z'),
    timeZone: 'Asia/Shanghai',
    ...overrides,
  };
}

describe('amountInWords', () => {
  it.each([
    ['300000.00', '叁拾万元整'],
    ['1234.56', '壹仟贰佰叁拾肆元伍角陆分'],
    ['100000.10', '壹拾万元零壹角'],
    ['0.05', '伍分'],
    ['10', '壹拾元整'],
    ['100000000', '壹亿元整'],
    ['10005', '壹万零伍元整'],
    ['0', '零元整'],
    ['0.5', '伍角'],
    ['12.03', '壹拾贰元零叁分'],
    ['1000.56', '壹仟元零伍角陆分'],
    ['100010000', '壹亿零壹万元整'],
    ['10001000', '壹仟万零壹仟元整'],
    ['1000000000000', '壹万亿元整'],
    ['1234500000000', '壹万贰仟叁佰肆拾伍亿元整'],
    ['101010101.01', '壹亿零壹佰零壹万零壹佰零壹元零壹分'],
    ['999999999999.99', '玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
  ])('%s is %s', (amount, words) => {
    expect(amountInWords(amount)).toBe(words);
  });

  it.each(['-1', '1.234', '1e5', 'abc', '', '12345678901234567'])('refuses %j', (amount) => {
    expect(() => amountInWords(amount)).toThrow(RangeError);
  });
});

describe('renderLetterText', () => {
  it('substitutes every placeholder, dates in the letter time zone', () => {
    const data = letterData();
    const keys = Object.keys(data) as (keyof LetterData)[];
    const template: LetterTemplate = {
      title: '{{ institutionKind }}函',
      paragraphs: keys.map((key) => `${key}={{${key}}}`),
      footer: '日期：{{issuedAt}}',
    };
    const text = renderLetterText(template, data);
    expect(text.title).toBe('银行机构函');
    expect(text.footer).toBe('日期：2026年01月15日');
    expect(text.paragraphs.join('\n')).not.toContain('{{');
    const byKey = Object.fromEntries(text.paragraphs.map((line) => line.split('=') as [string, string]));
    expect(byKey).toEqual({
      ...data,
      institutionKind: '银行机构',
      validFrom: '2026年01月15日',
      validUntil: '2026年04月14日',
      issuedAt: '2026年01月15日',
    });
  });

  it('defaults the footer to the issuer and the issue date', () => {
    const text = renderLetterText({ title: 't', paragraphs: [] }, letterData());
    expect(text.footer).toContain('中国工商银行股份有限公司衢州分行');
    expect(text.footer).toContain('2026年01月15日');
  });

  it('rejects an unknown or unclosed placeholder', () => {
    const data = letterData();
    expect(() => renderLetterText({ title: '保函', paragraphs: ['地址：{{bidderAddress}}'] }, data)).toThrow(LetterTemplateError);
    expect(() => renderLetterText({ title: '{{bidderName', paragraphs: [] }, data)).toThrow(LetterTemplateError);
    expect(() => renderLetterText({ title: '保函', paragraphs: [], footer: '{{toString}}' }, data)).toThrow(/unknown placeholder/);
    expect(() => validateLetterTemplate({ title: '保函', paragraphs: ['{{constructor}}'] })).toThrow(LetterTemplateError);
  });

  it('has a default template for every institution kind, in the wording of that kind', () => {
    for (const template of Object.values(DEFAULT_LETTER_TEMPLATES)) validateLetterTemplate(template);
    const policy = renderLetterText(defaultLetterTemplate('INSURER'), letterData({ institutionKind: 'INSURER' }));
    expect(policy.title).toBe('投标保证保险保单');
    expect(policy.paragraphs.join('')).toContain('被保险人（受益人）：衢州市柯城区交通运输局');
    const letter = renderLetterText(defaultLetterTemplate('GUARANTOR'), letterData({ institutionKind: 'GUARANTOR' }));
    expect(letter.title).toBe('投标保函');
    const body = letter.paragraphs.join('');
    expect(body).toContain('人民币叁拾万元整（¥300000.00）');
    expect(body).toContain('自2026年01月15日起至2026年04月14日止');
    expect(body).toMatch(/在投标有效期内.*招标人提出索赔/);
  });
});

const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined;

function pdfText(pdf: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'letter-'));
  try {
    writeFileSync(join(dir, 'letter.pdf'), pdf);
    const result = spawnSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'letter.pdf'), '-'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('renderLetterPdf', () => {
  it('renders one A4 page that embeds a subset of the CJK font', async () => {
    const pdf = await renderLetterPdf(defaultLetterTemplate('BANK'), letterData());
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeLessThan(300 * 1024);
    const raw = Buffer.from(pdf).toString('latin1');
    expect(raw).toMatch(/\/FontFile[23]\b/);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSans/);
    expect(raw.match(/\/Type \/Page\b/g)).toHaveLength(1);
    expect(raw).toContain('/MediaBox [0 0 595.28 841.89]');
  });

  it('gives the same bytes for the same letter', async () => {
    const template = defaultLetterTemplate('INSURER');
    const data = letterData({ institutionKind: 'INSURER', institutionName: '中国人民财产保险股份有限公司衢州市分公司' });
    expect(Buffer.from(await renderLetterPdf(template, data)).equals(await renderLetterPdf(template, data))).toBe(true);
  });

  it('flows a long template onto further pages', async () => {
    const template: LetterTemplate = { title: '投标保函', paragraphs: Array.from({ length: 40 }, () => '本保函适用中华人民共和国法律。'.repeat(8)) };
    const raw = Buffer.from(await renderLetterPdf(template, letterData())).toString('latin1');
    expect(raw.match(/\/Type \/Page\b/g)?.length).toBeGreaterThan(1);
  });

  it('renders quickly once the font is preloaded', async () => {
    await preloadLetterFont();
    const started = performance.now();
    await renderLetterPdf(defaultLetterTemplate('GUARANTOR'), letterData({ institutionKind: 'GUARANTOR' }));
    // Typically 20-50 ms; the bound only catches a regression such as re-parsing the 8 MB font per letter.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a template with an unknown placeholder', async () => {
    await expect(renderLetterPdf({ title: '{{nope}}', paragraphs: [] }, letterData())).rejects.toThrow(LetterTemplateError);
  });

  // pdftotext comes from Debian's poppler-utils; without it this check is skipped, not failed.
  it.skipIf(!hasPdftotext)('carries the bidder, the section and the number as extractable text (needs pdftotext)', async () => {
    const pdf = await renderLetterPdf(defaultLetterTemplate('BANK'), letterData());
    const text = pdfText(pdf).replace(/\s+/g, '');
    expect(text).toContain('浙江鑫淼建设工程有限公司');
    expect(text).toContain('衢江大桥改建工程第二标段');
    expect(text).toContain('BH3308002026011500001');
    expect(text).toContain('投标保函');
    expect(text).toContain('¥300,000.00（人民币叁拾万元整）');
  });
});
