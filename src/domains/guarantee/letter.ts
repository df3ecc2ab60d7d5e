/**
 * The guarantee letter (投标保函 / 投标保证保险保单) as text and as PDF. Pure: it reads nothing but the font and writes
 * nothing. Which template a tenant or institution uses, and sealing the bytes (DESIGN.md section 7), are the caller's.
 *
 * Chinese text is set in Noto Sans S Chinese Regular (SIL OFL 1.1) from the npm package @embedpdf/fonts-sc; each PDF
 * embeds only the subset of glyphs it uses.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create as createFont, type Font } from 'fontkit';
import PDFDocument from 'pdfkit';

/** The kinds of institution that issue letters. */
export type LetterInstitutionKind = 'INSURER' | 'BANK' | 'GUARANTOR';

/** Everything a letter can show. Templates name these keys as `{{key}}`. */
export interface LetterData {
  /** The platform (tenant) the letter is issued on, where it can be verified. */
  tenantName: string;
  guaranteeNumber: string;
  orderNumber: string;
  institutionName: string;
  /** Substituted as its Chinese label (保险机构, 银行机构, 担保机构). */
  institutionKind: LetterInstitutionKind;
  bidderName: string;
  /** The bidder's 统一社会信用代码. */
  bidderUscc: string;
  tendereeName: string;
  sectionName: string;
  sectionCode: string;
  projectName: string;
  /** Guaranteed amount in yuan with two places, e.g. "300000.00". */
  amount: string;
  /** The amount in Chinese uppercase money words, see {@link amountInWords}. */
  amountInWords: string;
  /** Premium (fee) in yuan with two places. */
  premium: string;
  validFrom: Date;
  validUntil: Date;
  issuedAt: Date;
  /** IANA time zone the dates are printed in, e.g. Asia/Shanghai. */
  timeZone: string;
}

/**
 * A letter's wording. `title`, `paragraphs` and `footer` may contain `{{key}}` placeholders for {@link LetterData}
 * keys; dates are printed as yyyy年MM月dd日 in the letter's time zone.
 */
export interface LetterTemplate {
  title: string;
  paragraphs: string[];
  /** Closing line(s) under the key facts; defaults to the issuer and the issue date. */
  footer?: string;
}

/** A letter's text with every placeholder substituted. */
export interface RenderedLetterText {
  title: string;
  paragraphs: string[];
  footer: string;
}

/** A template names a placeholder that is not a {@link LetterData} key, or has an unclosed `{{`. */
export class LetterTemplateError extends Error {
  override name = 'LetterTemplateError';
}

const PLACEHOLDERS = {
  tenantName: true,
  guaranteeNumber: true,
  orderNumber: true,
  institutionName: true,
  institutionKind: true,
  bidderName: true,
  bidderUscc: true,
  tendereeName: true,
  sectionName: true,
  sectionCode: true,
  projectName: true,
  amount: true,
  amountInWords: true,
  premium: true,
  validFrom: true,
  validUntil: true,
  issuedAt: true,
  timeZone: true,
} as const satisfies Record<keyof LetterData, true>;

const KIND_LABELS: Record<LetterInstitutionKind, string> = { INSURER: '保险机构', BANK: '银行机构', GUARANTOR: '担保机构' };

const DEFAULT_FOOTER = '出函机构：{{institutionName}}（电子签章）\n出函日期：{{issuedAt}}';

const GUARANTEE_LETTER: LetterTemplate = {
  title: '投标保函',
  paragraphs: [
    '致：{{tendereeName}}（招标人，即本保函受益人，以下简称“你方”）',
    '鉴于{{bidderName}}（统一社会信用代码：{{bidderUscc}}，以下简称“投标人”或“被保证人”）参加你方组织的' +
      '{{projectName}}（标段：{{sectionName}}，标段编号：{{sectionCode}}）的投标，{{institutionName}}（以下简称“我方”）应投标人的申请，' +
      '向你方开立本投标保函，无条件地、不可撤销地保证如下：',
    '一、担保金额：人民币{{amountInWords}}（¥{{amount}}）。',
    '二、有效期：自{{validFrom}}起至{{validUntil}}止。',
    '三、投标人在投标有效期内撤销或修改其投标文件的，或者投标人在收到中标通知书后无正当理由拒签合同、' +
      '拒不按招标文件要求提交履约担保的，我方在担保金额内承担保证责任。',
    '四、在投标有效期内，投标人有上述情形之一，招标人提出索赔的，应以书面形式通知我方并说明投标人违约的事实；' +
      '我方在收到你方书面索赔通知之日起七个工作日内，在担保金额内无条件向你方支付。',
    '五、索赔通知应在本保函有效期内送达我方；有效期届满，我方的保证责任自动解除。本保函不得转让，不得设定担保。',
    '六、本保函为电子保函（保函编号：{{guaranteeNumber}}，订单编号：{{orderNumber}}），' +
      '可凭保函编号与文件摘要在{{tenantName}}核验真伪。',
  ],
  footer: '保证人：{{institutionName}}（电子签章）\n开立日期：{{issuedAt}}',
};

const INSURANCE_POLICY: LetterTemplate = {
  title: '投标保证保险保单',
  paragraphs: [
    '被保险人（受益人）：{{tendereeName}}（招标人）',
    '投保人（被保证人）：{{bidderName}}（统一社会信用代码：{{bidderUscc}}）',
    '鉴于投保人参加被保险人组织的{{projectName}}（标段：{{sectionName}}，标段编号：{{sectionCode}}）的投标，' +
      '并按招标文件的规定以投标保证保险的形式提交投标保证金，{{institutionName}}（以下简称“保险人”）同意按本保单的约定承担保险责任：',
    '一、保险金额：人民币{{amountInWords}}（¥{{amount}}）；保险费：人民币{{premium}}元。',
    '二、保险期间：自{{validFrom}}起至{{validUntil}}止。',
    '三、保险责任：投保人在投标有效期内撤销或修改其投标文件的，或者投保人在收到中标通知书后无正当理由拒签合同、' +
      '拒不按招标文件要求提交履约担保的，保险人在保险金额内向被保险人承担赔偿责任。',
    '四、在投标有效期内，投保人有上述情形之一，招标人提出索赔的，应向保险人提交书面索赔申请及投保人违约的证明材料；' +
      '保险人在收到完整的索赔材料之日起七个工作日内，在保险金额内予以赔付。',
    '五、保险人不以投保人未缴或欠缴保险费为由拒绝承担本保单项下的保险责任。投保人不得退保，本保单不得转让。',
    '六、本保单为电子保单（保单号：{{guaranteeNumber}}，订单编号：{{orderNumber}}），' +
      '可凭保单号与文件摘要在{{tenantName}}核验真伪。',
  ],
  footer: '保险人：{{institutionName}}（电子签章）\n签发日期：{{issuedAt}}',
};

/** The wording used when neither the tenant nor the institution provides a template. */
export const DEFAULT_LETTER_TEMPLATES: Readonly<Record<LetterInstitutionKind, LetterTemplate>> = Object.freeze({
  INSURER: INSURANCE_POLICY,
  BANK: GUARANTEE_LETTER,
  GUARANTOR: GUARANTEE_LETTER,
});

/** The default template for an institution kind: 投标保证保险保单 for insurers, 投标保函 otherwise. */
export function defaultLetterTemplate(kind: LetterInstitutionKind): LetterTemplate {
  const template = DEFAULT_LETTER_TEMPLATES[kind];
  return { ...template, paragraphs: [...template.paragraphs] };
}

const PLACEHOLDER = /\{\{(.*?)\}\}/g;

function isPlaceholder(name: string): name is keyof LetterData {
  return Object.hasOwn(PLACEHOLDERS, name);
}

/**
 * Checks that every placeholder of a template names a {@link LetterData} key, so a tenant file can be refused when it
 * loads rather than when a letter is issued.
 * @throws LetterTemplateError naming the first offending placeholder
 */
export function validateLetterTemplate(template: LetterTemplate): void {
  for (const text of [template.title, ...template.paragraphs, template.footer ?? '']) placeholdersOf(text);
}

function placeholdersOf(text: string): (keyof LetterData)[] {
  const names: (keyof LetterData)[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (!isPlaceholder(name)) throw new LetterTemplateError(`unknown placeholder {{${match[1]}}} in letter template`);
    names.push(name);
  }
  if (text.replace(PLACEHOLDER, '').includes('{{')) {
    throw new LetterTemplateError(`unclosed placeholder in letter template: ${JSON.stringify(text)}`);
  }
  return names;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function formatDate(date: Date, timeZone: string): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('letter date is invalid');
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return `${parts.year}年${parts.month}月${parts.day}日`;
}

function valueOf(data: LetterData, name: keyof LetterData): string {
  const value = data[name];
  if (value instanceof Date) return formatDate(value, data.timeZone);
  if (name === 'institutionKind') return KIND_LABELS[data.institutionKind];
  return value;
}

function substitute(text: string, data: LetterData): string {
  placeholdersOf(text);
  return text.replace(PLACEHOLDER, (_, name: string) => valueOf(data, name.trim() as keyof LetterData));
}

/**
 * Substitutes the letter's data into a template. Dates print as yyyy年MM月dd日 in `data.timeZone`.
 * @throws LetterTemplateError when the template names an unknown placeholder
 */
export function renderLetterText(template: LetterTemplate, data: LetterData): RenderedLetterText {
  return {
    title: substitute(template.title, data),
    paragraphs: template.paragraphs.map((paragraph) => substitute(paragraph, data)),
    footer: substitute(template.footer ?? DEFAULT_FOOTER, data),
  };
}

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'] as const;
const DIGIT_UNITS = ['', '拾', '佰', '仟'] as const;

/**
 * Yuan as Chinese uppercase money words (中文大写金额), e.g. "300000.00" → 叁拾万元整, "1234.56" → 壹仟贰佰叁拾肆元伍角陆分,
 * "100000.10" → 壹拾万元零壹角. A run of zeros between two non-zero digits is written as one 零 (also across 元);
 * 整 follows only an amount that ends in 元. Works on the decimal string, never a float.
 * @param amount non-negative yuan with at most two decimal places and at most sixteen integer digits
 * @throws RangeError when `amount` is not such a string
 */
export function amountInWords(amount: string): string {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!match) throw new RangeError(`not an amount in yuan with at most two decimal places: ${JSON.stringify(amount)}`);
  const integer = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  if (integer.length > 16) throw new RangeError(`amount too large for Chinese money words: ${amount}`);
  const [jiao = 0, fen = 0] = (match[2] ?? '').padEnd(2, '0').split('').map(Number);

  let words = '';
  let pendingZero = false;
  const digit = (value: number, unit: string): void => {
    if (value === 0) {
      pendingZero = words !== '';
      return;
    }
    words += `${pendingZero ? '零' : ''}${DIGITS[value]}${unit}`;
    pendingZero = false;
  };

  if (integer !== '0') {
    for (let i = 0; i < integer.length; i += 1) {
      const position = integer.length - 1 - i;
      digit(Number(integer[i]), DIGIT_UNITS[position % 4] ?? '');
      // 亿 is written even after an all-zero group (壹万亿): the digits above it make it needed. 万 is not (壹亿元整).
      if (position === 8) words += '亿';
      else if ((position === 4 || position === 12) && /[1-9]/.test(integer.slice(Math.max(0, i - 3), i + 1))) {
        words += '万';
      }
    }
    words += '元';
  }
  digit(jiao, '角');
  digit(fen, '分');
  if (words === '') return '零元整';
  return jiao === 0 && fen === 0 ? `${words}整` : words;
}

const require = createRequire(import.meta.url);
const FONT_FILE = 'NotoSansHans-Regular.otf';
const FONT_NAME = 'letter';

let fontLoad: Promise<Font> | undefined;

function loadFont(): Promise<Font> {
  fontLoad ??= (async () => {
    // The package's exports map exposes only its index, so the font is found beside it.
    const path = join(dirname(require.resolve('@embedpdf/fonts-sc')), '..', 'fonts', FONT_FILE);
    const font = createFont(await readFile(path));
    if ('fonts' in font) throw new Error(`${path} is a font collection, not a single font`);
    return font;
  })().catch((error: unknown) => {
    fontLoad = undefined;
    throw error;
  });
  return fontLoad;
}

/**
 * Loads the letter font and renders a throwaway letter of each default wording. Call it at start-up: the first renders
 * in a process pay for parsing the font's tables and for warming the code up (several hundred milliseconds); after
 * this a letter takes tens of milliseconds.
 */
export async function preloadLetterFont(): Promise<void> {
  await loadFont();
  const day = new Date(0);
  const data: LetterData = {
    tenantName: '平台',
    guaranteeNumber: '0',
    orderNumber: '0',
    institutionName: '机构',
    institutionKind: 'BANK',
    bidderName: '投标人',
    bidderUscc: '0',
    tendereeName: '招标人',
    sectionName: '标段',
    sectionCode: '0',
    projectName: '项目',
    amount: '1.00',
    amountInWords: '壹元整',
    premium: '1.00',
    validFrom: day,
    validUntil: day,
    issuedAt: day,
    timeZone: 'Asia/Shanghai',
  };
  await renderLetterPdf(DEFAULT_LETTER_TEMPLATES.INSURER, { ...data, institutionKind: 'INSURER' });
  await renderLetterPdf(DEFAULT_LETTER_TEMPLATES.BANK, data);
}

const MARGIN = 56;
const BODY_SIZE = 10.5;
const LABEL_WIDTH = 112;
const CELL_PADDING = 5;

function groupThousands(amount: string): string {
  const [integer = '', fraction] = amount.split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function keyFacts(data: LetterData): [string, string][] {
  const validity = `${formatDate(data.validFrom, data.timeZone)} 至 ${formatDate(data.validUntil, data.timeZone)}`;
  const amount = `¥${groupThousands(data.amount)}（人民币${data.amountInWords}）`;
  const section = `${data.sectionName}（${data.sectionCode}）`;
  if (data.institutionKind === 'INSURER') {
    return [
      ['保单编号', data.guaranteeNumber],
      ['被保险人（招标人）', data.tendereeName],
      ['投保人（投标人）', data.bidderName],
      ['标段', section],
      ['保险金额', amount],
      ['保险期间', validity],
      ['承保机构', data.institutionName],
    ];
  }
  return [
    ['保函编号', data.guaranteeNumber],
    ['受益人（招标人）', data.tendereeName],
    ['被保证人（投标人）', data.bidderName],
    ['标段', section],
    ['担保金额', amount],
    ['有效期', validity],
    ['出函机构', data.institutionName],
  ];
}

/**
 * Renders the letter as a one-page (longer wording flows on) A4 PDF: title, paragraphs, a box of key facts (number,
 * beneficiary, principal, section, amount, validity, issuer) and the footer with the issue date. The font is embedded
 * as a subset. Rendering the same template and data again gives the same bytes (the creation date is `issuedAt`).
 * @throws LetterTemplateError when the template names an unknown placeholder
 */
export async function renderLetterPdf(template: LetterTemplate, data: LetterData): Promise<Uint8Array> {
  const text = renderLetterText(template, data);
  const facts = keyFacts(data);
  const font = await loadFont();

  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: true,
    info: {
      Title: `${text.title} ${data.guaranteeNumber}`,
      Author: data.institutionName,
      Subject: `${data.sectionName} ${data.bidderName}`,
      Creator: data.tenantName,
      Producer: 'e-guarantee-api',
      CreationDate: data.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  // pdfkit takes a parsed fontkit font as well as bytes (its typings say only bytes); reusing the parsed font is what
  // keeps a render in the tens of milliseconds instead of re-parsing 8 MB per letter.
  doc.registerFont(FONT_NAME, font as unknown as PDFKit.Mixins.PDFFontSource);
  doc.font(FONT_NAME);
  const width = doc.page.width - 2 * MARGIN;

  doc.fontSize(20).text(text.title, { width, align: 'center' });
  doc.moveDown(0.2);
  doc.fontSize(9).fillColor('#555555').text(`编号：${data.guaranteeNumber}`, { width, align: 'right' });
  doc.fillColor('black').moveDown(0.8);

  doc.fontSize(BODY_SIZE);
  for (const paragraph of text.paragraphs) doc.text(paragraph, { width, lineGap: 3, paragraphGap: 5 });
  doc.moveDown(0.6);

  const valueOptions = { width: width - LABEL_WIDTH - 2 * CELL_PADDING, lineGap: 2 };
  const labelOptions = { width: LABEL_WIDTH - 2 * CELL_PADDING, lineGap: 2 };
  doc.fontSize(10).lineWidth(0.6).strokeColor('#333333');
  for (const [label, value] of facts) {
    const textHeight = Math.max(doc.heightOfString(value, valueOptions), doc.heightOfString(label, labelOptions));
    const height = textHeight + 2 * CELL_PADDING;
    if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
    const top = doc.y;
    doc.rect(MARGIN, top, LABEL_WIDTH, height).fillAndStroke('#f2f2f2', '#333333');
    doc.rect(MARGIN + LABEL_WIDTH, top, width - LABEL_WIDTH, height).stroke();
    doc.fillColor('black');
    doc.text(label, MARGIN + CELL_PADDING, top + CELL_PADDING, labelOptions);
    doc.text(value, MARGIN + LABEL_WIDTH + CELL_PADDING, top + CELL_PADDING, valueOptions);
    doc.x = MARGIN;
    doc.y = top + height;
  }

  doc.fontSize(BODY_SIZE).moveDown(1.5);
  const footerOptions = { width, align: 'right', lineGap: 6 } as const;
  if (doc.y + doc.heightOfString(text.footer, footerOptions) > doc.page.height - MARGIN) doc.addPage();
  doc.text(text.footer, MARGIN, doc.y, footerOptions);

  doc.end();
  await finished;
  return Buffer.concat(chunks);
}
