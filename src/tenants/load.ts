import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { z } from 'zod';
import { TenantFile } from './tenant-file.ts';
import { validateLetterTemplate, type LetterTemplate } from '../domains/guarantee/letter.ts';

/** A tenant file after inheritance and validation. */
export interface LoadedTenant {
  code: string;
  parentCode: string | null;
  file: TenantFile;
  /** SHA-256 of the resolved configuration, to skip unchanged tenants on start-up. */
  hash: string;
  /** The file it came from, relative to the working directory. */
  source: string;
  /** PEM text of the CA roots `sealing.trustedCaRoots` names, read from `<tenants dir>/ca/`. */
  trustedCaRootPems: string[];
}

/** One problem in one tenant file, located by the path inside it. */
export interface TenantFileProblem {
  file: string;
  path: string;
  message: string;
}

/** Thrown when any tenant file is invalid; its message lists every problem, one per line. */
export class TenantConfigError extends Error {
  override name = 'TenantConfigError';
  constructor(readonly problems: TenantFileProblem[]) {
    super(
      `Invalid tenant configuration:\n${problems
        .map((p) => `  ${p.file}${p.path ? `: ${p.path}` : ''}: ${p.message}`)
        .join('\n')}`,
    );
  }
}

type Raw = Record<string, unknown>;

/**
 * Reads every `*.yaml` file of `dir`, merges each city over its province (objects deeply, lists of objects with a
 * `code` item by item, other lists replaced) and validates the result against {@link TenantFile}.
 * Problems of all files are collected and thrown together as one {@link TenantConfigError}.
 */
export async function loadTenants(dir: string): Promise<LoadedTenant[]> {
  const problems: TenantFileProblem[] = [];
  const names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const raws = new Map<string, { raw: Raw; source: string }>();

  for (const name of names) {
    const source = relative(process.cwd(), join(dir, name)) || name;
    const text = await readFile(join(dir, name), 'utf8');
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const at = error.linePos?.[0];
        problems.push({ file: source, path: at ? `line ${at.line}, column ${at.col}` : '', message: error.message.split('\n')[0]! });
      }
      continue;
    }
    if (!isMap(doc.contents)) {
      problems.push({ file: source, path: '', message: 'must be a YAML mapping of tenant settings' });
      continue;
    }
    const raw = doc.toJS() as Raw;
    const fileCode = basename(name).replace(/\.ya?ml$/, '');
    if (raw.code !== fileCode) {
      problems.push({ file: source, path: 'code', message: `must equal the file name "${fileCode}", found ${JSON.stringify(raw.code)}` });
      continue;
    }
    raws.set(fileCode, { raw, source });
  }

  const resolved = new Map<string, Raw>();
  const resolve = (code: string, chain: string[]): Raw | undefined => {
    const done = resolved.get(code);
    if (done) return done;
    const entry = raws.get(code)!;
    const parentCode = entry.raw.parent;
    if (parentCode === undefined) {
      resolved.set(code, entry.raw);
      return entry.raw;
    }
    if (typeof parentCode !== 'string' || !raws.has(parentCode)) {
      problems.push({ file: entry.source, path: 'parent', message: `names tenant ${JSON.stringify(parentCode)}, which has no file in ${relative(process.cwd(), dir) || dir}` });
      return undefined;
    }
    if (chain.includes(parentCode)) {
      problems.push({ file: entry.source, path: 'parent', message: `forms a cycle: ${[...chain, parentCode].join(' → ')}` });
      return undefined;
    }
    const parent = resolve(parentCode, [...chain, parentCode]);
    if (!parent) return undefined;
    const merged = mergeOver(parent, entry.raw, '', { file: entry.source, parentFile: raws.get(parentCode)!.source }, problems);
    resolved.set(code, merged);
    return merged;
  };

  const tenants: LoadedTenant[] = [];
  const caRoots = new Map<string, Promise<string | Error>>();
  for (const [code, { source }] of raws) {
    const raw = resolve(code, [code]);
    if (!raw) continue;
    const parsed = TenantFile.safeParse(raw);
    if (!parsed.success) {
      problems.push(...zodProblems(source, parsed.error));
      continue;
    }
    problems.push(...crossCheck(source, parsed.data));
    const file = parsed.data;
    tenants.push({
      code,
      parentCode: file.parent ?? null,
      file,
      hash: createHash('sha256').update(JSON.stringify(file)).digest('hex'),
      source,
      trustedCaRootPems: await readCaRoots(dir, source, file.sealing.trustedCaRoots, caRoots, problems),
    });
  }
  for (const tenant of tenants) {
    const parent = tenant.parentCode ? raws.get(tenant.parentCode)?.raw : undefined;
    if (parent && parent.parent !== undefined) {
      problems.push({ file: tenant.source, path: 'parent', message: `names "${tenant.parentCode}", which is itself a city: only two levels (province and city) exist` });
    }
  }
  if (problems.length > 0) throw new TenantConfigError(problems);
  return tenants;
}

const CA_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.pem$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Reads the CA roots a tenant trusts for certificate login from `<dir>/ca/<name>`. A name that is not a plain
 * `*.pem` file name, a missing file or one holding no certificate is a problem naming the tenant file and the CA file.
 */
async function readCaRoots(
  dir: string,
  source: string,
  names: readonly string[],
  cache: Map<string, Promise<string | Error>>,
  problems: TenantFileProblem[],
): Promise<string[]> {
  const pems: string[] = [];
  for (const [i, name] of names.entries()) {
    const path = `sealing.trustedCaRoots[${i}]`;
    const expected = relative(process.cwd(), join(dir, 'ca', name)) || name;
    if (!CA_FILE_NAME.test(name)) {
      problems.push({ file: source, path, message: `names CA file "${name}": must be a file name ending in .pem, inside ${relative(process.cwd(), join(dir, 'ca')) || 'ca'}` });
      continue;
    }
    if (!cache.has(name)) {
      cache.set(
        name,
        readFile(join(dir, 'ca', name), 'utf8').then(
          (text) => (PEM_CERTIFICATE.test(text) ? text : new Error(`CA file ${expected} holds no PEM certificate`)),
          () => new Error(`CA file ${expected} is missing`),
        ),
      );
    }
    const pem = await cache.get(name)!;
    if (pem instanceof Error) problems.push({ file: source, path, message: `names CA file "${name}": ${pem.message}` });
    else pems.push(pem);
  }
  return pems;
}

function mergeOver(
  base: Raw,
  over: Raw,
  path: string,
  files: { file: string; parentFile: string },
  problems: TenantFileProblem[],
): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const at = path ? `${path}.${key}` : key;
    const current = base[key];
    if (isKeyedList(current) && isKeyedList(value)) {
      const list = current.map((item) => ({ ...item }));
      value.forEach((item, index) => {
        const i = list.findIndex((existing) => existing.code === item.code);
        if (i >= 0) {
          list[i] = mergeOver(list[i]!, item, `${at}[${i}]`, files, problems);
        } else if (Object.keys(item).length <= 1 || !('name' in item)) {
          problems.push({
            file: files.file,
            path: `${at}[${index}].code`,
            message: `overrides ${singular(key)} "${String(item.code)}", which ${files.parentFile} (its parent) does not define`,
          });
        } else {
          list.push(item);
        }
      });
      out[key] = list;
    } else if (isPlainObject(current) && isPlainObject(value)) {
      out[key] = mergeOver(current, value, at, files, problems);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function crossCheck(file: string, tenant: TenantFile): TenantFileProblem[] {
  const problems: TenantFileProblem[] = [];
  const seenInstitutions = new Set<string>();
  const seenProducts = new Set<string>();
  tenant.institutions.forEach((institution, i) => {
    if (seenInstitutions.has(institution.code)) {
      problems.push({ file, path: `institutions[${i}].code`, message: `institution "${institution.code}" is defined twice` });
    }
    seenInstitutions.add(institution.code);
    institution.products.forEach((product, j) => {
      const at = `institutions[${i}].products[${j}]`;
      if (seenProducts.has(product.code)) {
        problems.push({ file, path: `${at}.code`, message: `product "${product.code}" is defined twice` });
      }
      seenProducts.add(product.code);
      for (const type of product.projectTypes ?? []) {
        if (!(type in tenant.projectTypes)) {
          problems.push({ file, path: `${at}.projectTypes`, message: `names project type ${type}, which the tenant's projectTypes do not define` });
        }
      }
    });
  });
  for (const [kind, template] of Object.entries(tenant.letterTemplates ?? {})) {
    problems.push(...templateProblems(file, `letterTemplates.${kind}`, template));
  }
  tenant.institutions.forEach((institution, i) => {
    if (institution.letterTemplate) problems.push(...templateProblems(file, `institutions[${i}].letterTemplate`, institution.letterTemplate));
  });
  const codes = new Set<string>();
  for (const [i, rule] of tenant.refunds.rules.entries()) {
    if (codes.has(rule.code)) problems.push({ file, path: `refunds.rules[${i}].code`, message: `rule "${rule.code}" is defined twice` });
    codes.add(rule.code);
  }
  return problems;
}

function templateProblems(file: string, path: string, template: LetterTemplate | undefined): TenantFileProblem[] {
  if (!template) return [];
  try {
    validateLetterTemplate(template);
    return [];
  } catch (error) {
    return [{ file, path, message: (error as Error).message }];
  }
}

function zodProblems(file: string, error: z.ZodError): TenantFileProblem[] {
  return error.issues.map((issue) => ({
    file,
    path: issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join(''),
    message: issue.message,
  }));
}

function isPlainObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKeyedList(value: unknown): value is Raw[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => isPlainObject(item) && typeof item.code === 'string');
}

function singular(key: string): string {
  return key.replace(/ies$/, 'y').replace(/s$/, '');
}
