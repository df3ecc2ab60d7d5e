/**
 * Creates a demo root CA and certificates for a few demo enterprises, for local development and tests.
 *
 * Usage: `tsx scripts/make-demo-ca.ts [directory] [--force]` (directory defaults to ./data/demo-ca).
 *
 * Writes, all PEM:
 * - `ca.cert.pem`, `ca.key.pem`: the root CA (10 years), to configure as a trusted root;
 * - `enterprises/<uscc>.cert.pem`, `enterprises/<uscc>.key.pem`: one valid certificate (1 year) per demo enterprise;
 * - `enterprises/expired-<uscc>.cert.pem`: an already expired certificate for the first enterprise, same key;
 * - `manifest.json`: what was written, with each enterprise's USCC and name.
 *
 * Private keys are unencrypted PKCS#8 with file mode 0600: demo material only. Refuses to replace an existing CA
 * unless `--force` is given, since that would orphan every certificate issued under it.
 */
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createCa, issueEnterpriseCertificate, type CertificateWithKey } from '../src/crypto/certificates.ts';

const DAY_MS = 86_400_000;
const DEMO_ENTERPRISES = [
  { uscc: '91110108MA01XK7Q2D', enterpriseName: '北京示范建设工程有限公司' },
  { uscc: '91310115MA1H8RTU39', enterpriseName: '上海示范市政工程有限公司' },
  { uscc: '91440300MA5GXY9K1W', enterpriseName: '深圳示范路桥集团有限公司' },
] as const;

async function main(argv: readonly string[]): Promise<void> {
  const force = argv.includes('--force');
  const directory = resolve(argv.find((arg) => !arg.startsWith('--')) ?? './data/demo-ca');
  const caCertPath = join(directory, 'ca.cert.pem');
  if (!force && (await exists(caCertPath))) {
    throw new Error(`${caCertPath} exists; pass --force to replace the demo CA and everything issued under it`);
  }
  await mkdir(join(directory, 'enterprises'), { recursive: true });

  const ca = await createCa({ commonName: 'E-Guarantee Demo Root CA', organization: '电子保函演示平台', validDays: 3650 });
  await writePair(directory, 'ca', ca);

  const enterprises = [];
  const keyPems = new Map<string, string>();
  for (const enterprise of DEMO_ENTERPRISES) {
    const issued = await issueEnterpriseCertificate(ca, { ...enterprise, validDays: 365 });
    await writePair(directory, join('enterprises', enterprise.uscc), issued);
    keyPems.set(enterprise.uscc, issued.keyPem);
    enterprises.push({
      ...enterprise,
      cert: `enterprises/${enterprise.uscc}.cert.pem`,
      key: `enterprises/${enterprise.uscc}.key.pem`,
    });
  }

  const [first] = DEMO_ENTERPRISES;
  const expired = await issueEnterpriseCertificate(ca, {
    ...first,
    notBefore: new Date(Date.now() - 400 * DAY_MS),
    validDays: 30,
    keyPem: keyPems.get(first.uscc),
  });
  const expiredPath = `enterprises/expired-${first.uscc}.cert.pem`;
  await writeFile(join(directory, expiredPath), expired.certPem);

  const manifest = {
    createdAt: new Date().toISOString(),
    ca: { cert: 'ca.cert.pem', key: 'ca.key.pem' },
    enterprises,
    expired: { uscc: first.uscc, cert: expiredPath, key: `enterprises/${first.uscc}.key.pem` },
  };
  await writeFile(join(directory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`demo CA and ${enterprises.length} enterprise certificates written to ${directory}\n`);
}

async function writePair(directory: string, name: string, pair: CertificateWithKey): Promise<void> {
  await writeFile(join(directory, `${name}.cert.pem`), pair.certPem);
  const keyPath = join(directory, `${name}.key.pem`);
  await writeFile(keyPath, pair.keyPem, { mode: 0o600 });
  // `mode` only applies when the file is created; an existing key file keeps its old mode otherwise.
  await chmod(keyPath, 0o600);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`make-demo-ca: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
